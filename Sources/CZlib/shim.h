#include <zlib.h>

/* inflateInit2 is a macro, which Swift cannot call: this starts a gzip-only inflate stream. */
static inline int kiln_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}
