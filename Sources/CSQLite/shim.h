// System-library shim: exposes <sqlite3.h> from Debian's libsqlite3-dev to Swift. Nothing else lives here.
#include <sqlite3.h>
