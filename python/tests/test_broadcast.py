"""Broadcast (byte records): one sender, readers that each see every record in order (lossless), or every
record but those a `Lagged` says they missed (lossy)."""

import struct
import threading

import pytest

from conftest import EXPORTS_MESSAGE, ctrl_c_pressed
from picoring import Broadcast, BroadcastReader, Lagged


def record(seq):
    """Record `seq`: its number, then 0 to 200 bytes derived from it."""
    body = bytes((seq * 7 + i) % 251 for i in range(seq * 37 % 201))
    return struct.pack("<Q", seq) + body


def seq_of(data):
    """The number of record `data`, after checking its bytes."""
    seq = struct.unpack_from("<Q", data)[0]
    assert bytes(data) == record(seq)
    return seq


@pytest.mark.parametrize("lossy", [True, False])
def test_every_reader_sees_every_record_in_order(lossy):
    channel = Broadcast(1 << 16, lossy=lossy)
    readers = [channel.subscribe() for _ in range(3)]
    assert channel.receiver_count() == 3
    for seq in range(100):
        channel.send(record(seq))
    for reader in readers:
        got = []
        for _ in range(100):
            view = reader.recv(timeout=0)
            assert view.readonly
            got.append(seq_of(view))
            view.release()
        assert got == list(range(100))
        with pytest.raises(TimeoutError):
            reader.recv(timeout=0)
    late = channel.subscribe()
    channel.send(b"late")
    assert late.recv_bytes(timeout=0) == b"late"
    assert readers[0].recv_bytes(timeout=0) == b"late"


def test_lossy_lag_is_exact():
    channel = Broadcast(4096)
    slow = channel.subscribe()
    sent = 3000
    for seq in range(sent):
        channel.send(record(seq))
    channel.close()
    got, missed, expected = 0, 0, 0
    while True:
        try:
            data = slow.recv_bytes(timeout=0)
        except Lagged as lagged:
            assert lagged.missed > 0
            missed += lagged.missed
            expected += lagged.missed
            assert slow.lag == missed
            continue
        except EOFError:
            break
        assert seq_of(data) == expected  # the next record is exactly `missed` further on
        expected += 1
        got += 1
    assert got + missed == sent and slow.lag == missed > 0
    assert isinstance(Lagged(1), RuntimeError)


def test_lossless_send_times_out_and_a_dropped_reader_releases_it():
    channel = Broadcast(4096, lossy=False)
    assert not channel.lossy
    reader = channel.subscribe()
    sent = 0
    with pytest.raises(TimeoutError):
        while True:
            channel.send(b"x" * 100, timeout=0)
            sent += 1
    assert sent > 0
    with pytest.raises(TimeoutError):
        channel.send(b"x" * 100, timeout=0.02)
    # Reading one record makes room for one.
    assert reader.recv_bytes() == b"x" * 100
    channel.send(b"y" * 100, timeout=0)
    with pytest.raises(TimeoutError):
        channel.send(b"x" * 100, timeout=0)
    del reader  # leaving releases the sender
    assert channel.receiver_count() == 0
    for _ in range(100):
        channel.send(b"z" * 100, timeout=0)


def test_a_view_holds_its_record_and_blocks_the_next_recv():
    channel = Broadcast(4096)
    reader = channel.subscribe()
    channel.send(b"held")
    channel.send(b"next")
    view = reader.recv()
    for call in (reader.recv, reader.recv_bytes, reader.release, reader.close):
        with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
            call()
    # The lossy sender does not overwrite the held record: it times out instead.
    with pytest.raises(TimeoutError):
        for _ in range(1000):
            channel.send(b"f" * 100, timeout=0)
    assert bytes(view) == b"held"
    copy = memoryview(view)  # anything made from the view holds the record too
    view.release()
    with pytest.raises(BufferError):
        reader.recv()
    copy.release()
    assert reader.release()
    assert not reader.release()
    channel.send(b"f" * 100, timeout=0)  # room again
    with pytest.raises(Lagged):
        reader.recv()
    assert reader.recv_bytes() == b"f" * 100


def test_errors_and_ends():
    channel = Broadcast(4096)
    reader = channel.subscribe()
    with pytest.raises(ValueError):
        channel.send(b"x" * (channel.max_record_len() + 1))
    with pytest.raises(TypeError):
        channel.send("text")
    with pytest.raises(ValueError):
        reader.recv(timeout=-1)
    with pytest.raises(ValueError):
        Broadcast(-1)
    with pytest.raises(TimeoutError):
        reader.recv(timeout=0.01)
    assert "lossy=True" in repr(channel) and "readers=1" in repr(channel)
    assert "lag=0" in repr(reader)
    channel.send(b"last")
    channel.close()
    assert channel.closed and "closed" in repr(channel)
    with pytest.raises(ValueError):
        channel.send(b"after")
    assert reader.recv_bytes() == b"last"
    with pytest.raises(EOFError):
        reader.recv()
    with reader:
        pass
    assert reader.closed
    with pytest.raises(ValueError):
        reader.recv()
    assert isinstance(reader, BroadcastReader)


def test_one_sender_thread_several_reader_threads():
    channel = Broadcast(1 << 14, lossy=False)
    total = 3000
    readers = [channel.subscribe() for _ in range(4)]
    results = [None] * len(readers)

    def read(i, reader):
        got = []
        while True:
            try:
                view = reader.recv(timeout=30)
            except EOFError:
                break
            got.append(seq_of(view))
            view.release()
        results[i] = got

    threads = [threading.Thread(target=read, args=(i, r)) for i, r in enumerate(readers)]
    for t in threads:
        t.start()

    def send():
        for seq in range(total):
            channel.send(record(seq), timeout=30)
        channel.close()

    sender = threading.Thread(target=send)
    sender.start()
    sender.join(timeout=60)
    for t in threads:
        t.join(timeout=60)
    assert not sender.is_alive() and not any(t.is_alive() for t in threads)
    assert results == [list(range(total))] * len(readers)


def test_ctrl_c_interrupts_a_recv_without_a_timeout():
    channel = Broadcast(4096)
    reader = channel.subscribe()
    with ctrl_c_pressed():
        reader.recv()  # would wait forever
    channel.send(b"after")
    assert reader.recv_bytes(timeout=0) == b"after"


def test_threads_sharing_one_lossy_reader_never_see_a_torn_record():
    # Views are checked while the sender overwrites around them; the two threads race for the
    # reader, so a recv may find the other's view alive (BufferError) or records gone (Lagged).
    channel = Broadcast(4096)
    reader = channel.subscribe()
    checked = [0, 0]

    def read(i):
        while True:
            try:
                view = reader.recv(timeout=30)
            except (BufferError, Lagged):
                continue
            except EOFError:
                return
            seq_of(view)
            view.release()
            checked[i] += 1

    threads = [threading.Thread(target=read, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for seq in range(3000):
        channel.send(record(seq), timeout=30)
    channel.close()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert sum(checked) > 0
