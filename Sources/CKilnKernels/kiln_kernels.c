/* Generated from Sources/KilnCodegen/KernelLibrary.swift (KernelLibraryTests checks it). */
#include <string.h>
#include "kiln_kernels.h"

static long kiln_ceil_div(long a, long b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); }  /* b > 0 */

/* col[((c*kh + i)*kw + j)*ld + y*wo + x] = in[c][y*sh - ph + i*dh][x*sw - pw + j*dw], 0 outside */
void kiln_lib_im2col_f32(const float *in, float *col, long ld, long c_, long h, long w, long kh, long kw,
                         long sh, long sw, long ph, long pw, long dh, long dw, long ho, long wo) {
  for (long c = 0; c < c_; c++) for (long i = 0; i < kh; i++) for (long j = 0; j < kw; j++) {
    float *row = col + ((c * kh + i) * kw + j) * ld;
    long off = j * dw - pw;
    long x0 = kiln_ceil_div(-off, sw), x1 = kiln_ceil_div(w - off, sw);
    if (x0 < 0) x0 = 0;
    if (x1 > wo) x1 = wo;
    if (x1 < x0) x1 = x0;
    if (sh == 1 && sw == 1 && wo == w) {
      /* unit stride, rows as wide as the image's: the in-bounds rows are one shifted run of
         the plane, copied at once; then the columns outside the image are zeroed */
      long y0 = ph - i * dh, y1 = h + ph - i * dh;
      if (y0 < 0) y0 = 0;
      if (y1 > ho) y1 = ho;
      if (y1 < y0) y1 = y0;
      memset(row, 0, y0 * wo * sizeof(float));
      memset(row + y1 * wo, 0, (ho - y1) * wo * sizeof(float));
      if (y1 == y0) continue;
      const float *src = in + (c * h + y0 - ph + i * dh) * w + off;
      long lo = off < 0 ? -off : 0, hi = (y1 - y0) * w - (off > 0 ? off : 0);
      if (hi > lo) memcpy(row + y0 * wo + lo, src + lo, (hi - lo) * sizeof(float));
      for (long y = y0; y < y1; y++) {
        float *dst = row + y * wo;
        for (long x = 0; x < x0; x++) dst[x] = 0;
        for (long x = x1; x < wo; x++) dst[x] = 0;
      }
      continue;
    }
    for (long y = 0; y < ho; y++) {
      float *dst = row + y * wo;
      long iy = y * sh - ph + i * dh;
      if (iy < 0 || iy >= h) { memset(dst, 0, wo * sizeof(float)); continue; }
      const float *src = in + (c * h + iy) * w + off;
      long x = 0;
      for (; x < x0; x++) dst[x] = 0;
      for (; x < x1; x++) dst[x] = src[x * sw];
      for (; x < wo; x++) dst[x] = 0;
    }
  }
}

/* out[c][y*sh - ph + i*dh][x*sw - pw + j*dw] += col[((c*kh + i)*kw + j)*ld + y*wi + x] where inside; out zeroed first */
void kiln_lib_col2im_f32(float *col, float *out, long ld, long c_, long h, long w, long kh, long kw,
                         long sh, long sw, long ph, long pw, long dh, long dw, long hi, long wi) {
  memset(out, 0, c_ * h * w * sizeof(float));
  for (long c = 0; c < c_; c++) for (long i = 0; i < kh; i++) for (long j = 0; j < kw; j++) {
    float *row = col + ((c * kh + i) * kw + j) * ld;
    long off = j * dw - pw;
    long x0 = kiln_ceil_div(-off, sw), x1 = kiln_ceil_div(w - off, sw);
    if (x0 < 0) x0 = 0;
    if (x1 > wi) x1 = wi;
    if (sh == 1 && sw == 1 && wi == w) {
      /* unit stride, rows as wide as the image's: the entries outside the image's columns are
         zeroed, then the in-bounds rows are added as one shifted run of the plane. The zeros land
         on neighbouring cells, whose sums started at +0 and so are never -0: adding +0 keeps them. */
      long y0 = ph - i * dh, y1 = h + ph - i * dh;
      if (y0 < 0) y0 = 0;
      if (y1 > hi) y1 = hi;
      if (y1 <= y0) continue;
      if (x1 < x0) x1 = x0;
      for (long y = y0; y < y1; y++) {
        float *r = row + y * wi;
        for (long x = 0; x < x0; x++) r[x] = 0;
        for (long x = x1; x < wi; x++) r[x] = 0;
      }
      float *dst = out + (c * h + y0 - ph + i * dh) * w + off;
      const float *src = row + y0 * wi;
      long lo = off < 0 ? -off : 0, n = (y1 - y0) * w - (off > 0 ? off : 0);
      for (long k = lo; k < n; k++) dst[k] += src[k];
      continue;
    }
    for (long y = 0; y < hi; y++) {
      long oy = y * sh - ph + i * dh;
      if (oy < 0 || oy >= h) continue;
      float *dst = out + (c * h + oy) * w + off;
      const float *src = row + y * wi;
      for (long x = x0; x < x1; x++) dst[x * sw] += src[x];
    }
  }
}

/* the first maximum of each window (a NaN wins), planes lo..<hi */
void kiln_lib_max_pool_f32(float *out, const float *x, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw) {
  for (long c = lo; c < hi; c++) for (long oy = 0; oy < ho; oy++) {
    long i0 = ph - oy * sh, i1 = h + ph - oy * sh;
    if (i0 < 0) i0 = 0;
    if (i1 > kh) i1 = kh;
    for (long ox = 0; ox < wo; ox++) {
      long j0 = pw - ox * sw, j1 = w + pw - ox * sw;
      if (j0 < 0) j0 = 0;
      if (j1 > kw) j1 = kw;
      long po = (c * ho + oy) * wo + ox;
      long corner = c * h * w + (oy * sh - ph) * w + ox * sw - pw;
      long at = corner + i0 * w + j0;
      float best = x[at];
      for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) {
        float v = x[corner + i * w + j];
        if (best == best && (v > best || v != v)) { best = v; at = corner + i * w + j; }
      }
      out[po] = best;
    }
  }
}

/* the in-bounds window sum (row-major) over the full window size, planes lo..<hi */
void kiln_lib_avg_pool_f32(float *out, const float *x, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw) {
  const float size = (float)(kh * kw);
  for (long c = lo; c < hi; c++) for (long oy = 0; oy < ho; oy++) {
    long i0 = ph - oy * sh, i1 = h + ph - oy * sh;
    if (i0 < 0) i0 = 0;
    if (i1 > kh) i1 = kh;
    for (long ox = 0; ox < wo; ox++) {
      long j0 = pw - ox * sw, j1 = w + pw - ox * sw;
      if (j0 < 0) j0 = 0;
      if (j1 > kw) j1 = kw;
      long po = (c * ho + oy) * wo + ox;
      long corner = c * h * w + (oy * sh - ph) * w + ox * sw - pw;
      float sum = 0;
      for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) sum += x[corner + i * w + j];
      out[po] = sum / size;
    }
  }
}

/* each gradient added at the first maximum of its window; planes lo..<hi of out zeroed first */
void kiln_lib_max_pool_grad_f32(float *out, const float *x, const float *grad, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw) {
  memset(out + lo * h * w, 0, (hi - lo) * h * w * sizeof(float));
  for (long c = lo; c < hi; c++) for (long oy = 0; oy < ho; oy++) {
    long i0 = ph - oy * sh, i1 = h + ph - oy * sh;
    if (i0 < 0) i0 = 0;
    if (i1 > kh) i1 = kh;
    for (long ox = 0; ox < wo; ox++) {
      long j0 = pw - ox * sw, j1 = w + pw - ox * sw;
      if (j0 < 0) j0 = 0;
      if (j1 > kw) j1 = kw;
      long po = (c * ho + oy) * wo + ox;
      long corner = c * h * w + (oy * sh - ph) * w + ox * sw - pw;
      long at = corner + i0 * w + j0;
      float best = x[at];
      for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) {
        float v = x[corner + i * w + j];
        if (best == best && (v > best || v != v)) { best = v; at = corner + i * w + j; }
      }
      out[at] += grad[po];
    }
  }
}

/* each gradient over the window size added at every in-bounds position; planes lo..<hi of out zeroed first */
void kiln_lib_avg_pool_grad_f32(float *out, const float *grad, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw) {
  const float size = (float)(kh * kw);
  memset(out + lo * h * w, 0, (hi - lo) * h * w * sizeof(float));
  for (long c = lo; c < hi; c++) for (long oy = 0; oy < ho; oy++) {
    long i0 = ph - oy * sh, i1 = h + ph - oy * sh;
    if (i0 < 0) i0 = 0;
    if (i1 > kh) i1 = kh;
    for (long ox = 0; ox < wo; ox++) {
      long j0 = pw - ox * sw, j1 = w + pw - ox * sw;
      if (j0 < 0) j0 = 0;
      if (j1 > kw) j1 = kw;
      long po = (c * ho + oy) * wo + ox;
      long corner = c * h * w + (oy * sh - ph) * w + ox * sw - pw;
      float share = grad[po] / size;
      for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) out[corner + i * w + j] += share;
    }
  }
}

/* col[((c*kh + i)*kw + j)*ld + y*wo + x] = in[c][y*sh - ph + i*dh][x*sw - pw + j*dw], 0 outside */
void kiln_lib_im2col_f64(const double *in, double *col, long ld, long c_, long h, long w, long kh, long kw,
                         long sh, long sw, long ph, long pw, long dh, long dw, long ho, long wo) {
  for (long c = 0; c < c_; c++) for (long i = 0; i < kh; i++) for (long j = 0; j < kw; j++) {
    double *row = col + ((c * kh + i) * kw + j) * ld;
    long off = j * dw - pw;
    long x0 = kiln_ceil_div(-off, sw), x1 = kiln_ceil_div(w - off, sw);
    if (x0 < 0) x0 = 0;
    if (x1 > wo) x1 = wo;
    if (x1 < x0) x1 = x0;
    if (sh == 1 && sw == 1 && wo == w) {
      /* unit stride, rows as wide as the image's: the in-bounds rows are one shifted run of
         the plane, copied at once; then the columns outside the image are zeroed */
      long y0 = ph - i * dh, y1 = h + ph - i * dh;
      if (y0 < 0) y0 = 0;
      if (y1 > ho) y1 = ho;
      if (y1 < y0) y1 = y0;
      memset(row, 0, y0 * wo * sizeof(double));
      memset(row + y1 * wo, 0, (ho - y1) * wo * sizeof(double));
      if (y1 == y0) continue;
      const double *src = in + (c * h + y0 - ph + i * dh) * w + off;
      long lo = off < 0 ? -off : 0, hi = (y1 - y0) * w - (off > 0 ? off : 0);
      if (hi > lo) memcpy(row + y0 * wo + lo, src + lo, (hi - lo) * sizeof(double));
      for (long y = y0; y < y1; y++) {
        double *dst = row + y * wo;
        for (long x = 0; x < x0; x++) dst[x] = 0;
        for (long x = x1; x < wo; x++) dst[x] = 0;
      }
      continue;
    }
    for (long y = 0; y < ho; y++) {
      double *dst = row + y * wo;
      long iy = y * sh - ph + i * dh;
      if (iy < 0 || iy >= h) { memset(dst, 0, wo * sizeof(double)); continue; }
      const double *src = in + (c * h + iy) * w + off;
      long x = 0;
      for (; x < x0; x++) dst[x] = 0;
      for (; x < x1; x++) dst[x] = src[x * sw];
      for (; x < wo; x++) dst[x] = 0;
    }
  }
}

/* out[c][y*sh - ph + i*dh][x*sw - pw + j*dw] += col[((c*kh + i)*kw + j)*ld + y*wi + x] where inside; out zeroed first */
void kiln_lib_col2im_f64(double *col, double *out, long ld, long c_, long h, long w, long kh, long kw,
                         long sh, long sw, long ph, long pw, long dh, long dw, long hi, long wi) {
  memset(out, 0, c_ * h * w * sizeof(double));
  for (long c = 0; c < c_; c++) for (long i = 0; i < kh; i++) for (long j = 0; j < kw; j++) {
    double *row = col + ((c * kh + i) * kw + j) * ld;
    long off = j * dw - pw;
    long x0 = kiln_ceil_div(-off, sw), x1 = kiln_ceil_div(w - off, sw);
    if (x0 < 0) x0 = 0;
    if (x1 > wi) x1 = wi;
    if (sh == 1 && sw == 1 && wi == w) {
      /* unit stride, rows as wide as the image's: the entries outside the image's columns are
         zeroed, then the in-bounds rows are added as one shifted run of the plane. The zeros land
         on neighbouring cells, whose sums started at +0 and so are never -0: adding +0 keeps them. */
      long y0 = ph - i * dh, y1 = h + ph - i * dh;
      if (y0 < 0) y0 = 0;
      if (y1 > hi) y1 = hi;
      if (y1 <= y0) continue;
      if (x1 < x0) x1 = x0;
      for (long y = y0; y < y1; y++) {
        double *r = row + y * wi;
        for (long x = 0; x < x0; x++) r[x] = 0;
        for (long x = x1; x < wi; x++) r[x] = 0;
      }
      double *dst = out + (c * h + y0 - ph + i * dh) * w + off;
      const double *src = row + y0 * wi;
      long lo = off < 0 ? -off : 0, n = (y1 - y0) * w - (off > 0 ? off : 0);
      for (long k = lo; k < n; k++) dst[k] += src[k];
      continue;
    }
    for (long y = 0; y < hi; y++) {
      long oy = y * sh - ph + i * dh;
      if (oy < 0 || oy >= h) continue;
      double *dst = out + (c * h + oy) * w + off;
      const double *src = row + y * wi;
      for (long x = x0; x < x1; x++) dst[x * sw] += src[x];
    }
  }
}

/* the first maximum of each window (a NaN wins), planes lo..<hi */
void kiln_lib_max_pool_f64(double *out, const double *x, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw) {
  for (long c = lo; c < hi; c++) for (long oy = 0; oy < ho; oy++) {
    long i0 = ph - oy * sh, i1 = h + ph - oy * sh;
    if (i0 < 0) i0 = 0;
    if (i1 > kh) i1 = kh;
    for (long ox = 0; ox < wo; ox++) {
      long j0 = pw - ox * sw, j1 = w + pw - ox * sw;
      if (j0 < 0) j0 = 0;
      if (j1 > kw) j1 = kw;
      long po = (c * ho + oy) * wo + ox;
      long corner = c * h * w + (oy * sh - ph) * w + ox * sw - pw;
      long at = corner + i0 * w + j0;
      double best = x[at];
      for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) {
        double v = x[corner + i * w + j];
        if (best == best && (v > best || v != v)) { best = v; at = corner + i * w + j; }
      }
      out[po] = best;
    }
  }
}

/* the in-bounds window sum (row-major) over the full window size, planes lo..<hi */
void kiln_lib_avg_pool_f64(double *out, const double *x, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw) {
  const double size = (double)(kh * kw);
  for (long c = lo; c < hi; c++) for (long oy = 0; oy < ho; oy++) {
    long i0 = ph - oy * sh, i1 = h + ph - oy * sh;
    if (i0 < 0) i0 = 0;
    if (i1 > kh) i1 = kh;
    for (long ox = 0; ox < wo; ox++) {
      long j0 = pw - ox * sw, j1 = w + pw - ox * sw;
      if (j0 < 0) j0 = 0;
      if (j1 > kw) j1 = kw;
      long po = (c * ho + oy) * wo + ox;
      long corner = c * h * w + (oy * sh - ph) * w + ox * sw - pw;
      double sum = 0;
      for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) sum += x[corner + i * w + j];
      out[po] = sum / size;
    }
  }
}

/* each gradient added at the first maximum of its window; planes lo..<hi of out zeroed first */
void kiln_lib_max_pool_grad_f64(double *out, const double *x, const double *grad, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw) {
  memset(out + lo * h * w, 0, (hi - lo) * h * w * sizeof(double));
  for (long c = lo; c < hi; c++) for (long oy = 0; oy < ho; oy++) {
    long i0 = ph - oy * sh, i1 = h + ph - oy * sh;
    if (i0 < 0) i0 = 0;
    if (i1 > kh) i1 = kh;
    for (long ox = 0; ox < wo; ox++) {
      long j0 = pw - ox * sw, j1 = w + pw - ox * sw;
      if (j0 < 0) j0 = 0;
      if (j1 > kw) j1 = kw;
      long po = (c * ho + oy) * wo + ox;
      long corner = c * h * w + (oy * sh - ph) * w + ox * sw - pw;
      long at = corner + i0 * w + j0;
      double best = x[at];
      for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) {
        double v = x[corner + i * w + j];
        if (best == best && (v > best || v != v)) { best = v; at = corner + i * w + j; }
      }
      out[at] += grad[po];
    }
  }
}

/* each gradient over the window size added at every in-bounds position; planes lo..<hi of out zeroed first */
void kiln_lib_avg_pool_grad_f64(double *out, const double *grad, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw) {
  const double size = (double)(kh * kw);
  memset(out + lo * h * w, 0, (hi - lo) * h * w * sizeof(double));
  for (long c = lo; c < hi; c++) for (long oy = 0; oy < ho; oy++) {
    long i0 = ph - oy * sh, i1 = h + ph - oy * sh;
    if (i0 < 0) i0 = 0;
    if (i1 > kh) i1 = kh;
    for (long ox = 0; ox < wo; ox++) {
      long j0 = pw - ox * sw, j1 = w + pw - ox * sw;
      if (j0 < 0) j0 = 0;
      if (j1 > kw) j1 = kw;
      long po = (c * ho + oy) * wo + ox;
      long corner = c * h * w + (oy * sh - ph) * w + ox * sw - pw;
      double share = grad[po] / size;
      for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) out[corner + i * w + j] += share;
    }
  }
}
