// System-library shim: exposes <sndfile.h> from Debian's libsndfile1-dev to Swift. Nothing else lives here.
#include <sndfile.h>
