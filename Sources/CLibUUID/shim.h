// The toolchain's glibc modulemap already defines a module named CUUID (for Foundation), so ours
// is CLibUUID: the same header and library, without the clash when Foundation is imported.
#include <uuid/uuid.h>
