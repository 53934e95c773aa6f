// System-library shim: exposes glibc's <malloc.h> (mallinfo2, malloc_trim) to Swift, for the
// memory figures of the benchmarks. Nothing else lives here.
#include <malloc.h>
