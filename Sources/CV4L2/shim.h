// System-library shim: exposes <libv4l2.h> from Debian's libv4l-dev to Swift. Nothing else lives here.
#include <libv4l2.h>
