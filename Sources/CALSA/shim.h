// System-library shim: exposes <alsa/asoundlib.h> from Debian's libasound2-dev to Swift. Nothing else lives here.
#include <alsa/asoundlib.h>
