// System-library shim: exposes <fluidsynth.h> from Debian's libfluidsynth-dev to Swift. Nothing else lives here.
#include <fluidsynth.h>
