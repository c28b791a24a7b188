/* A stand-in for bcryptprimitives.dll, for Wine versions that lack it (Wine 8.0, Debian 12).
 *
 * Rust's standard library (1.78 and later) imports ProcessPrng from bcryptprimitives.dll for
 * its random hash keys; a Windows program built with it does not start where that DLL is
 * missing. tools/wine/test.sh builds this with mingw-w64 and puts it into the private Wine
 * prefix of `make test-windows` only; it never ships with the library. ProcessPrng fills the
 * buffer from the system's random number generator (BCryptGenRandom) and always succeeds
 * on Windows; here a failure of BCryptGenRandom is passed on as FALSE.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
