// System-library shim: exposes <cblas.h> from Debian's libopenblas-dev to Swift. Nothing else lives here.
#include <cblas.h>
