/* Prints how this Windows (or Wine) answers the placeholder calls the mirror backend makes,
 * step by step, with each failure's GetLastError code. tools/wine/test.sh builds it with
 * mingw-w64 and runs it before the tests, so the log shows why the placeholder backend is
 * or is not used. Exit status 0 when every step works (placeholder mirrors are possible),
 * 1 when one fails.
 *
 * Wine 8.0 (Debian 12) prints: both functions found; VirtualAlloc2(MEM_RESERVE |
 * MEM_RESERVE_PLACEHOLDER) fails with 87 (ERROR_INVALID_PARAMETER).
 */
#include <windows.h>
#include <stdio.h>

#ifndef MEM_RESERVE_PLACEHOLDER
#define MEM_RESERVE_PLACEHOLDER 0x00040000
#endif
#ifndef MEM_REPLACE_PLACEHOLDER
#define MEM_REPLACE_PLACEHOLDER 0x00004000
#endif
#ifndef MEM_PRESERVE_PLACEHOLDER
#define MEM_PRESERVE_PLACEHOLDER 0x00000002
#endif

typedef PVOID(WINAPI *VirtualAlloc2Fn)(HANDLE, PVOID, SIZE_T, ULONG, ULONG, void *, ULONG);
typedef PVOID(WINAPI *MapViewOfFile3Fn)(HANDLE, HANDLE, PVOID, ULONG64, SIZE_T, ULONG, ULONG,
                                        void *, ULONG);

static int fail(const char *step)
{
    printf("placeholder probe: %s failed, GetLastError = %lu\n", step, GetLastError());
    return 1;
}

int main(void)
{
    HMODULE kernelbase = GetModuleHandleW(L"kernelbase.dll");
    VirtualAlloc2Fn virtual_alloc2 =
        kernelbase ? (VirtualAlloc2Fn)(void *)GetProcAddress(kernelbase, "VirtualAlloc2") : NULL;
    MapViewOfFile3Fn map_view_of_file3 =
        kernelbase ? (MapViewOfFile3Fn)(void *)GetProcAddress(kernelbase, "MapViewOfFile3") : NULL;
    printf("placeholder probe: VirtualAlloc2 %s, MapViewOfFile3 %s in kernelbase.dll\n",
           virtual_alloc2 ? "found" : "MISSING", map_view_of_file3 ? "found" : "MISSING");
    if (!virtual_alloc2 || !map_view_of_file3)
        return 1;

    SYSTEM_INFO info;
    GetSystemInfo(&info);
    SIZE_T n = info.dwAllocationGranularity;
    HANDLE process = GetCurrentProcess();
    HANDLE section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, (DWORD)n, NULL);
    if (!section)
        return fail("CreateFileMappingW");
    char *base = virtual_alloc2(process, NULL, 2 * n, MEM_RESERVE | MEM_RESERVE_PLACEHOLDER,
                                PAGE_NOACCESS, NULL, 0);
    if (!base)
        return fail("VirtualAlloc2(MEM_RESERVE | MEM_RESERVE_PLACEHOLDER)");
    if (!VirtualFree(base, n, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER))
        return fail("VirtualFree(MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)");
    for (int half = 0; half < 2; half++) {
        if (!map_view_of_file3(section, process, base + half * n, 0, n, MEM_REPLACE_PLACEHOLDER,
                               PAGE_READWRITE, NULL, 0))
            return fail("MapViewOfFile3(MEM_REPLACE_PLACEHOLDER)");
    }
    base[0] = 0x5a;
    int mirrored = ((volatile char *)base)[n] == 0x5a;
    printf("placeholder probe: every call succeeded; the halves %s\n",
           mirrored ? "mirror each other" : "do NOT mirror each other");
    return mirrored ? 0 : 1;
}
