/* Generated from Sources/KilnCodegen/KernelLibrary.swift (KernelLibraryTests checks it). */
#pragma STDC FP_CONTRACT OFF
#include <string.h>
#include "kiln_kernels.h"

static long kiln_ceil_div(long a, long b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); }  /* b > 0 */
double cos(double);
double exp(double);
double floor(double);
double log(double);
double pow(double, double);
double sin(double);
double sqrt(double);
double tanh(double);
float cosf(float);
float floorf(float);
float powf(float, float);
float sinf(float);
float sqrtf(float);
#ifdef __TINYC__
#ifndef KILN_F32_WORD
#define KILN_F32_WORD
union kiln_f32_word { unsigned u; float f; };
#endif
#define kiln_bits_f32(value) (((union kiln_f32_word){.f = (value)}).u)
#else
static unsigned kiln_bits_f32(float x) { union { unsigned u; float f; } c; c.f = x; return c.u; }
#endif
#ifdef __TINYC__
#ifndef KILN_F32_WORD
#define KILN_F32_WORD
union kiln_f32_word { unsigned u; float f; };
#endif
#define kiln_f32_bits(bits) (((union kiln_f32_word){.u = (bits)}).f)
#else
static float kiln_f32_bits(unsigned u) { union { unsigned u; float f; } c; c.u = u; return c.f; }
#endif
#ifdef __TINYC__
#ifndef KILN_F64_WORD
#define KILN_F64_WORD
union kiln_f64_word { unsigned long long u; double f; };
#endif
#define kiln_bits_f64(value) (((union kiln_f64_word){.f = (value)}).u)
#else
static unsigned long long kiln_bits_f64(double x) { union { unsigned long long u; double f; } c; c.f = x; return c.u; }
#endif
#ifdef __TINYC__
#ifndef KILN_F64_WORD
#define KILN_F64_WORD
union kiln_f64_word { unsigned long long u; double f; };
#endif
#define kiln_f64_bits(bits) (((union kiln_f64_word){.u = (bits)}).f)
#else
static double kiln_f64_bits(unsigned long long u) { union { unsigned long long u; double f; } c; c.u = u; return c.f; }
#endif
static int kiln_abs_i32(int x) { return x < 0 ? (int)(0 - (unsigned)x) : x; }
static int kiln_div_i32(int a, int b) { return b == 0 ? 0 : b == -1 ? (int)(0 - (unsigned)a) : a / b; }
static int kiln_pow_i32(int a, int b) {
  unsigned r = 1, x = (unsigned)a;
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
  for (; b; b >>= 1) { if (b & 1) r *= x; x *= x; }
  return (int)r;
}
static int kiln_to_i32(double x) { return x != x ? 0 : x <= -2147483648.0 ? (-2147483647 - 1) : x >= 2147483648.0 ? 2147483647 : (int)x; }
static long long kiln_abs_i64(long long x) { return x < 0 ? (long long)(0 - (unsigned long long)x) : x; }
static long long kiln_div_i64(long long a, long long b) { return b == 0 ? 0 : b == -1 ? (long long)(0 - (unsigned long long)a) : a / b; }
static long long kiln_pow_i64(long long a, long long b) {
  unsigned long long r = 1, x = (unsigned long long)a;
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
  for (; b; b >>= 1) { if (b & 1) r *= x; x *= x; }
  return (long long)r;
}
static long long kiln_to_i64(double x) { return x != x ? 0 : x <= -9223372036854775808.0 ? (-9223372036854775807LL - 1) : x >= 9223372036854775808.0 ? 9223372036854775807LL : (long long)x; }
#ifdef __TINYC__
#define kiln_abs_f32(x) kiln_f32_bits(kiln_bits_f32(x) & 0x7fffffffu)
#else
static float kiln_abs_f32(float x) { union { float f; unsigned u; } c; c.f = x; c.u &= 0x7fffffffu; return c.f; }
#endif
#ifdef __TINYC__
#define kiln_abs_f64(x) kiln_f64_bits(kiln_bits_f64(x) & 0x7fffffffffffffffull)
#else
static double kiln_abs_f64(double x) { union { double f; unsigned long long u; } c; c.f = x; c.u &= 0x7fffffffffffffffull; return c.f; }
#endif
#ifdef __TINYC__
#define kiln_keep_f32(c, a) kiln_f32_bits(kiln_bits_f32(a) & (0 - (unsigned)(c)))
#else
static inline __attribute__((always_inline)) float kiln_keep_f32(int c, float a) {
  return kiln_f32_bits(kiln_bits_f32(a) & (0 - (unsigned)c));
}
#endif
#ifdef __TINYC__
#define kiln_keep_f64(c, a) kiln_f64_bits(kiln_bits_f64(a) & (0 - (unsigned long long)(c)))
#else
static inline __attribute__((always_inline)) double kiln_keep_f64(int c, double a) {
  return kiln_f64_bits(kiln_bits_f64(a) & (0 - (unsigned long long)c));
}
#endif
#ifdef __TINYC__
#define kiln_pick_f32(c, a, b) kiln_f32_bits((kiln_bits_f32(a) & (0 - (unsigned)(c))) | (kiln_bits_f32(b) & ~(0 - (unsigned)(c))))
#else
static inline __attribute__((always_inline)) float kiln_pick_f32(int c, float a, float b) {
  unsigned m = 0 - (unsigned)c;
  return kiln_f32_bits((kiln_bits_f32(a) & m) | (kiln_bits_f32(b) & ~m));
}
#endif
#ifdef __TINYC__
#define kiln_pick_f64(c, a, b) kiln_f64_bits((kiln_bits_f64(a) & (0 - (unsigned long long)(c))) | (kiln_bits_f64(b) & ~(0 - (unsigned long long)(c))))
#else
static inline __attribute__((always_inline)) double kiln_pick_f64(int c, double a, double b) {
  unsigned long long m = 0 - (unsigned long long)c;
  return kiln_f64_bits((kiln_bits_f64(a) & m) | (kiln_bits_f64(b) & ~m));
}
#endif
#ifdef __TINYC__
#define kiln_relu_f32(x) kiln_f32_bits(kiln_bits_f32(x) & ((unsigned)((x) <= 0) - 1))
#else
static float kiln_relu_f32(float x) { return kiln_pick_f32(x <= 0, 0, x); }  /* NaN: x itself; -0: +0 */
#endif
#ifdef __TINYC__
#define kiln_relu_f64(x) kiln_f64_bits(kiln_bits_f64(x) & ((unsigned long long)((x) <= 0) - 1))
#else
static double kiln_relu_f64(double x) { return kiln_pick_f64(x <= 0, 0, x); }  /* NaN: x itself; -0: +0 */
#endif
static double kiln_max_f64(double a, double b) { return kiln_pick_f64(a != a, a, kiln_pick_f64(b != b, b, kiln_pick_f64(a > b, a, b))); }
static double kiln_min_f64(double a, double b) { return kiln_pick_f64(a != a, a, kiln_pick_f64(b != b, b, kiln_pick_f64(a < b, a, b))); }
static double kiln_sign_f64(double x) { return kiln_pick_f64(x > 0, 1, kiln_pick_f64(x < 0, -1, x)); }  /* NaN and zeros: x itself */
static float kiln_max_f32(float a, float b) { return kiln_pick_f32(a != a, a, kiln_pick_f32(b != b, b, kiln_pick_f32(a > b, a, b))); }
static float kiln_min_f32(float a, float b) { return kiln_pick_f32(a != a, a, kiln_pick_f32(b != b, b, kiln_pick_f32(a < b, a, b))); }
static float kiln_sign_f32(float x) { return kiln_pick_f32(x > 0, 1, kiln_pick_f32(x < 0, -1, x)); }  /* NaN and zeros: x itself */
static inline __attribute__((always_inline)) float kiln_exp_f32(float x) {
  float c = kiln_pick_f32(x > 88.8f, 88.8f, x);
  c = kiln_pick_f32(c < -104.0f, -104.0f, c);
  float t = c * 1.44269504088896341f + 12582912.0f;
  float n = t - 12582912.0f;
  float r = c - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float z = r * r;
  float p = (((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r
              + 1.6666665459e-1f) * r + 5.0000001201e-1f) * z + r + 1.0f;
  int k = (int)kiln_bits_f32(t) - 0x4b400000, k1 = k >> 1, k2 = k - k1;
  return p * kiln_f32_bits((unsigned)(k1 + 127) << 23) * kiln_f32_bits((unsigned)(k2 + 127) << 23);
}
static inline __attribute__((always_inline)) float kiln_log_f32(float x) {
  int tiny = x < 1.17549435e-38f;
  unsigned u = kiln_bits_f32(kiln_pick_f32(tiny, x * 8388608.0f, x));
  int e = (int)(u >> 23) - 126 - (23 & -tiny);
  float m = kiln_f32_bits((u & 0x007fffffu) | 0x3f000000u);
  int lo = m < 0.707106781186547524f;
  float f = kiln_pick_f32(lo, m + m, m) - 1.0f, z = f * f, fe = (float)(e - lo);
  float y = ((((((((7.0376836292e-2f * f - 1.1514610310e-1f) * f + 1.1676998740e-1f) * f - 1.2420140846e-1f) * f
                + 1.4249322787e-1f) * f - 1.6668057665e-1f) * f + 2.0000714765e-1f) * f - 2.4999993993e-1f) * f
             + 3.3333331174e-1f) * f * z;
  float r = f + (y + -2.12194440e-4f * fe + -0.5f * z) + 0.693359375f * fe;
  r = kiln_pick_f32(x == 0, kiln_f32_bits(0xff800000u), r);
  r = kiln_pick_f32(x < 0, kiln_f32_bits(0x7fc00000u), r);
  return kiln_pick_f32((x != x) | (x == kiln_f32_bits(0x7f800000u)), x, r);
}
static inline __attribute__((always_inline)) float kiln_tanh_f32(float x) {
  unsigned u = kiln_bits_f32(x);
  float a = kiln_f32_bits(u & 0x7fffffffu), z = a * a;
  float s = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z
             - 3.33332819422e-1f) * z * a + a;
  float l = 1.0f - 2.0f / (kiln_exp_f32(a + a) + 1.0f);
  return kiln_f32_bits(kiln_bits_f32(kiln_pick_f32(a < 0.625f, s, l)) | (u & 0x80000000u));
}

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
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
    const long kh = 2, kw = 2, sh = 2, sw = 2, ph = 0, pw = 0;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 2 && sw == 2 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 2, sw = 2, ph = 1, pw = 1;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 1, sw = 1, ph = 1, pw = 1;
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
    return;
  }
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
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
    const long kh = 2, kw = 2, sh = 2, sw = 2, ph = 0, pw = 0;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 2 && sw == 2 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 2, sw = 2, ph = 1, pw = 1;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 1, sw = 1, ph = 1, pw = 1;
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
    return;
  }
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
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
    const long kh = 2, kw = 2, sh = 2, sw = 2, ph = 0, pw = 0;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 2 && sw == 2 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 2, sw = 2, ph = 1, pw = 1;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 1, sw = 1, ph = 1, pw = 1;
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
    return;
  }
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
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
    const long kh = 2, kw = 2, sh = 2, sw = 2, ph = 0, pw = 0;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 2 && sw == 2 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 2, sw = 2, ph = 1, pw = 1;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 1, sw = 1, ph = 1, pw = 1;
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
    return;
  }
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
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
    const long kh = 2, kw = 2, sh = 2, sw = 2, ph = 0, pw = 0;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 2 && sw == 2 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 2, sw = 2, ph = 1, pw = 1;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 1, sw = 1, ph = 1, pw = 1;
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
    return;
  }
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
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
    const long kh = 2, kw = 2, sh = 2, sw = 2, ph = 0, pw = 0;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 2 && sw == 2 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 2, sw = 2, ph = 1, pw = 1;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 1, sw = 1, ph = 1, pw = 1;
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
    return;
  }
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
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
    const long kh = 2, kw = 2, sh = 2, sw = 2, ph = 0, pw = 0;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 2 && sw == 2 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 2, sw = 2, ph = 1, pw = 1;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 1, sw = 1, ph = 1, pw = 1;
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
    return;
  }
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
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
    const long kh = 2, kw = 2, sh = 2, sw = 2, ph = 0, pw = 0;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 2 && sw == 2 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 2, sw = 2, ph = 1, pw = 1;
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
    return;
  }
  if (kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1) {
    const long kh = 3, kw = 3, sh = 1, sw = 1, ph = 1, pw = 1;
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
    return;
  }
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

void kiln_lib_e_neg_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = -a[i]; }

void kiln_lib_e_abs_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_abs_f32(a[i]); }

void kiln_lib_e_sign_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_sign_f32(a[i]); }

void kiln_lib_e_exp_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_exp_f32(a[i]); }

void kiln_lib_e_log_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_log_f32(a[i]); }

void kiln_lib_e_sqrt_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = sqrtf(a[i]); }

void kiln_lib_e_rsqrt_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = 1.0f / sqrtf(a[i]); }

void kiln_lib_e_tanh_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_tanh_f32(a[i]); }

void kiln_lib_e_sigmoid_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = 1.0f / (1.0f + kiln_exp_f32(-a[i])); }

void kiln_lib_e_relu_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_relu_f32(a[i]); }

void kiln_lib_e_sin_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = sinf(a[i]); }

void kiln_lib_e_cos_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = cosf(a[i]); }

void kiln_lib_e_floor_f32(float *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = floorf(a[i]); }

void kiln_lib_e_add_f32(float *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] + b[i]; }

void kiln_lib_e_sub_f32(float *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] - b[i]; }

void kiln_lib_e_mul_f32(float *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] * b[i]; }

void kiln_lib_e_div_f32(float *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] / b[i]; }

void kiln_lib_e_pow_f32(float *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = powf(a[i], b[i]); }

void kiln_lib_e_max_f32(float *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = kiln_max_f32(a[i], b[i]); }

void kiln_lib_e_min_f32(float *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = kiln_min_f32(a[i], b[i]); }

void kiln_lib_e_lt_f32(unsigned char *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] < b[i]; }

void kiln_lib_e_le_f32(unsigned char *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] <= b[i]; }

void kiln_lib_e_gt_f32(unsigned char *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] > b[i]; }

void kiln_lib_e_ge_f32(unsigned char *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] >= b[i]; }

void kiln_lib_e_eq_f32(unsigned char *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] == b[i]; }

void kiln_lib_e_ne_f32(unsigned char *out, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] != b[i]; }

void kiln_lib_e_pick_f32(float *out, const unsigned char *c, const float *a, const float *b, long n) { for (long i = 0; i < n; i++) out[i] = kiln_pick_f32(c[i], a[i], b[i]); }

void kiln_lib_e_keep_f32(float *out, const unsigned char *c, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_keep_f32(c[i], a[i]); }

void kiln_lib_e_neg_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = -a[i]; }

void kiln_lib_e_abs_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_abs_f64(a[i]); }

void kiln_lib_e_sign_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_sign_f64(a[i]); }

void kiln_lib_e_exp_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = exp(a[i]); }

void kiln_lib_e_log_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = log(a[i]); }

void kiln_lib_e_sqrt_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = sqrt(a[i]); }

void kiln_lib_e_rsqrt_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = 1.0 / sqrt(a[i]); }

void kiln_lib_e_tanh_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = tanh(a[i]); }

void kiln_lib_e_sigmoid_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = 1.0 / (1.0 + exp(-a[i])); }

void kiln_lib_e_relu_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_relu_f64(a[i]); }

void kiln_lib_e_sin_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = sin(a[i]); }

void kiln_lib_e_cos_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = cos(a[i]); }

void kiln_lib_e_floor_f64(double *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = floor(a[i]); }

void kiln_lib_e_add_f64(double *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] + b[i]; }

void kiln_lib_e_sub_f64(double *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] - b[i]; }

void kiln_lib_e_mul_f64(double *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] * b[i]; }

void kiln_lib_e_div_f64(double *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] / b[i]; }

void kiln_lib_e_pow_f64(double *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = pow(a[i], b[i]); }

void kiln_lib_e_max_f64(double *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = kiln_max_f64(a[i], b[i]); }

void kiln_lib_e_min_f64(double *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = kiln_min_f64(a[i], b[i]); }

void kiln_lib_e_lt_f64(unsigned char *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] < b[i]; }

void kiln_lib_e_le_f64(unsigned char *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] <= b[i]; }

void kiln_lib_e_gt_f64(unsigned char *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] > b[i]; }

void kiln_lib_e_ge_f64(unsigned char *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] >= b[i]; }

void kiln_lib_e_eq_f64(unsigned char *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] == b[i]; }

void kiln_lib_e_ne_f64(unsigned char *out, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] != b[i]; }

void kiln_lib_e_pick_f64(double *out, const unsigned char *c, const double *a, const double *b, long n) { for (long i = 0; i < n; i++) out[i] = kiln_pick_f64(c[i], a[i], b[i]); }

void kiln_lib_e_keep_f64(double *out, const unsigned char *c, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_keep_f64(c[i], a[i]); }

void kiln_lib_e_neg_i32(int *out, const int *a, long n) { for (long i = 0; i < n; i++) out[i] = (int)(0 - (unsigned)a[i]); }

void kiln_lib_e_abs_i32(int *out, const int *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_abs_i32(a[i]); }

void kiln_lib_e_sign_i32(int *out, const int *a, long n) { for (long i = 0; i < n; i++) out[i] = (int)((a[i] > 0) - (a[i] < 0)); }

void kiln_lib_e_relu_i32(int *out, const int *a, long n) { for (long i = 0; i < n; i++) out[i] = a[i] > 0 ? a[i] : 0; }

void kiln_lib_e_add_i32(int *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = (int)((unsigned)a[i] + (unsigned)b[i]); }

void kiln_lib_e_sub_i32(int *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = (int)((unsigned)a[i] - (unsigned)b[i]); }

void kiln_lib_e_mul_i32(int *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = (int)((unsigned)a[i] * (unsigned)b[i]); }

void kiln_lib_e_div_i32(int *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = kiln_div_i32(a[i], b[i]); }

void kiln_lib_e_pow_i32(int *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = kiln_pow_i32(a[i], b[i]); }

void kiln_lib_e_max_i32(int *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] > b[i] ? a[i] : b[i]; }

void kiln_lib_e_min_i32(int *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] < b[i] ? a[i] : b[i]; }

void kiln_lib_e_lt_i32(unsigned char *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] < b[i]; }

void kiln_lib_e_le_i32(unsigned char *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] <= b[i]; }

void kiln_lib_e_gt_i32(unsigned char *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] > b[i]; }

void kiln_lib_e_ge_i32(unsigned char *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] >= b[i]; }

void kiln_lib_e_eq_i32(unsigned char *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] == b[i]; }

void kiln_lib_e_ne_i32(unsigned char *out, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] != b[i]; }

void kiln_lib_e_pick_i32(int *out, const unsigned char *c, const int *a, const int *b, long n) { for (long i = 0; i < n; i++) out[i] = c[i] ? a[i] : b[i]; }

void kiln_lib_e_neg_i64(long long *out, const long long *a, long n) { for (long i = 0; i < n; i++) out[i] = (long long)(0 - (unsigned long long)a[i]); }

void kiln_lib_e_abs_i64(long long *out, const long long *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_abs_i64(a[i]); }

void kiln_lib_e_sign_i64(long long *out, const long long *a, long n) { for (long i = 0; i < n; i++) out[i] = (long long)((a[i] > 0) - (a[i] < 0)); }

void kiln_lib_e_relu_i64(long long *out, const long long *a, long n) { for (long i = 0; i < n; i++) out[i] = a[i] > 0 ? a[i] : 0; }

void kiln_lib_e_add_i64(long long *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = (long long)((unsigned long long)a[i] + (unsigned long long)b[i]); }

void kiln_lib_e_sub_i64(long long *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = (long long)((unsigned long long)a[i] - (unsigned long long)b[i]); }

void kiln_lib_e_mul_i64(long long *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = (long long)((unsigned long long)a[i] * (unsigned long long)b[i]); }

void kiln_lib_e_div_i64(long long *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = kiln_div_i64(a[i], b[i]); }

void kiln_lib_e_pow_i64(long long *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = kiln_pow_i64(a[i], b[i]); }

void kiln_lib_e_max_i64(long long *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] > b[i] ? a[i] : b[i]; }

void kiln_lib_e_min_i64(long long *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] < b[i] ? a[i] : b[i]; }

void kiln_lib_e_lt_i64(unsigned char *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] < b[i]; }

void kiln_lib_e_le_i64(unsigned char *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] <= b[i]; }

void kiln_lib_e_gt_i64(unsigned char *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] > b[i]; }

void kiln_lib_e_ge_i64(unsigned char *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] >= b[i]; }

void kiln_lib_e_eq_i64(unsigned char *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] == b[i]; }

void kiln_lib_e_ne_i64(unsigned char *out, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = a[i] != b[i]; }

void kiln_lib_e_pick_i64(long long *out, const unsigned char *c, const long long *a, const long long *b, long n) { for (long i = 0; i < n; i++) out[i] = c[i] ? a[i] : b[i]; }

void kiln_lib_e_from_f64_f32(float *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = (float)a[i]; }

void kiln_lib_e_from_i32_f32(float *out, const int *a, long n) { for (long i = 0; i < n; i++) out[i] = (float)a[i]; }

void kiln_lib_e_from_i64_f32(float *out, const long long *a, long n) { for (long i = 0; i < n; i++) out[i] = (float)a[i]; }

void kiln_lib_e_from_bool_f32(float *out, const unsigned char *a, long n) { for (long i = 0; i < n; i++) out[i] = (float)a[i]; }

void kiln_lib_e_fill_f32(float *out, float v, long n) { for (long i = 0; i < n; i++) out[i] = v; }

void kiln_lib_e_from_f32_f64(double *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = (double)a[i]; }

void kiln_lib_e_from_i32_f64(double *out, const int *a, long n) { for (long i = 0; i < n; i++) out[i] = (double)a[i]; }

void kiln_lib_e_from_i64_f64(double *out, const long long *a, long n) { for (long i = 0; i < n; i++) out[i] = (double)a[i]; }

void kiln_lib_e_from_bool_f64(double *out, const unsigned char *a, long n) { for (long i = 0; i < n; i++) out[i] = (double)a[i]; }

void kiln_lib_e_fill_f64(double *out, double v, long n) { for (long i = 0; i < n; i++) out[i] = v; }

void kiln_lib_e_from_f32_i32(int *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_to_i32(a[i]); }

void kiln_lib_e_from_f64_i32(int *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_to_i32(a[i]); }

void kiln_lib_e_from_i64_i32(int *out, const long long *a, long n) { for (long i = 0; i < n; i++) out[i] = (int)a[i]; }

void kiln_lib_e_from_bool_i32(int *out, const unsigned char *a, long n) { for (long i = 0; i < n; i++) out[i] = (int)a[i]; }

void kiln_lib_e_fill_i32(int *out, int v, long n) { for (long i = 0; i < n; i++) out[i] = v; }

void kiln_lib_e_from_f32_i64(long long *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_to_i64(a[i]); }

void kiln_lib_e_from_f64_i64(long long *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = kiln_to_i64(a[i]); }

void kiln_lib_e_from_i32_i64(long long *out, const int *a, long n) { for (long i = 0; i < n; i++) out[i] = (long long)a[i]; }

void kiln_lib_e_from_bool_i64(long long *out, const unsigned char *a, long n) { for (long i = 0; i < n; i++) out[i] = (long long)a[i]; }

void kiln_lib_e_fill_i64(long long *out, long long v, long n) { for (long i = 0; i < n; i++) out[i] = v; }

void kiln_lib_e_from_f32_bool(unsigned char *out, const float *a, long n) { for (long i = 0; i < n; i++) out[i] = a[i] != 0; }

void kiln_lib_e_from_f64_bool(unsigned char *out, const double *a, long n) { for (long i = 0; i < n; i++) out[i] = a[i] != 0; }

void kiln_lib_e_from_i32_bool(unsigned char *out, const int *a, long n) { for (long i = 0; i < n; i++) out[i] = a[i] != 0; }

void kiln_lib_e_from_i64_bool(unsigned char *out, const long long *a, long n) { for (long i = 0; i < n; i++) out[i] = a[i] != 0; }

void kiln_lib_e_fill_bool(unsigned char *out, unsigned char v, long n) { for (long i = 0; i < n; i++) out[i] = v; }

static const struct { const char *name; const void *address; } kiln_element_kernels[] = {
  { "kiln_lib_e_neg_f32", (const void *)kiln_lib_e_neg_f32 },
  { "kiln_lib_e_abs_f32", (const void *)kiln_lib_e_abs_f32 },
  { "kiln_lib_e_sign_f32", (const void *)kiln_lib_e_sign_f32 },
  { "kiln_lib_e_exp_f32", (const void *)kiln_lib_e_exp_f32 },
  { "kiln_lib_e_log_f32", (const void *)kiln_lib_e_log_f32 },
  { "kiln_lib_e_sqrt_f32", (const void *)kiln_lib_e_sqrt_f32 },
  { "kiln_lib_e_rsqrt_f32", (const void *)kiln_lib_e_rsqrt_f32 },
  { "kiln_lib_e_tanh_f32", (const void *)kiln_lib_e_tanh_f32 },
  { "kiln_lib_e_sigmoid_f32", (const void *)kiln_lib_e_sigmoid_f32 },
  { "kiln_lib_e_relu_f32", (const void *)kiln_lib_e_relu_f32 },
  { "kiln_lib_e_sin_f32", (const void *)kiln_lib_e_sin_f32 },
  { "kiln_lib_e_cos_f32", (const void *)kiln_lib_e_cos_f32 },
  { "kiln_lib_e_floor_f32", (const void *)kiln_lib_e_floor_f32 },
  { "kiln_lib_e_add_f32", (const void *)kiln_lib_e_add_f32 },
  { "kiln_lib_e_sub_f32", (const void *)kiln_lib_e_sub_f32 },
  { "kiln_lib_e_mul_f32", (const void *)kiln_lib_e_mul_f32 },
  { "kiln_lib_e_div_f32", (const void *)kiln_lib_e_div_f32 },
  { "kiln_lib_e_pow_f32", (const void *)kiln_lib_e_pow_f32 },
  { "kiln_lib_e_max_f32", (const void *)kiln_lib_e_max_f32 },
  { "kiln_lib_e_min_f32", (const void *)kiln_lib_e_min_f32 },
  { "kiln_lib_e_lt_f32", (const void *)kiln_lib_e_lt_f32 },
  { "kiln_lib_e_le_f32", (const void *)kiln_lib_e_le_f32 },
  { "kiln_lib_e_gt_f32", (const void *)kiln_lib_e_gt_f32 },
  { "kiln_lib_e_ge_f32", (const void *)kiln_lib_e_ge_f32 },
  { "kiln_lib_e_eq_f32", (const void *)kiln_lib_e_eq_f32 },
  { "kiln_lib_e_ne_f32", (const void *)kiln_lib_e_ne_f32 },
  { "kiln_lib_e_pick_f32", (const void *)kiln_lib_e_pick_f32 },
  { "kiln_lib_e_keep_f32", (const void *)kiln_lib_e_keep_f32 },
  { "kiln_lib_e_neg_f64", (const void *)kiln_lib_e_neg_f64 },
  { "kiln_lib_e_abs_f64", (const void *)kiln_lib_e_abs_f64 },
  { "kiln_lib_e_sign_f64", (const void *)kiln_lib_e_sign_f64 },
  { "kiln_lib_e_exp_f64", (const void *)kiln_lib_e_exp_f64 },
  { "kiln_lib_e_log_f64", (const void *)kiln_lib_e_log_f64 },
  { "kiln_lib_e_sqrt_f64", (const void *)kiln_lib_e_sqrt_f64 },
  { "kiln_lib_e_rsqrt_f64", (const void *)kiln_lib_e_rsqrt_f64 },
  { "kiln_lib_e_tanh_f64", (const void *)kiln_lib_e_tanh_f64 },
  { "kiln_lib_e_sigmoid_f64", (const void *)kiln_lib_e_sigmoid_f64 },
  { "kiln_lib_e_relu_f64", (const void *)kiln_lib_e_relu_f64 },
  { "kiln_lib_e_sin_f64", (const void *)kiln_lib_e_sin_f64 },
  { "kiln_lib_e_cos_f64", (const void *)kiln_lib_e_cos_f64 },
  { "kiln_lib_e_floor_f64", (const void *)kiln_lib_e_floor_f64 },
  { "kiln_lib_e_add_f64", (const void *)kiln_lib_e_add_f64 },
  { "kiln_lib_e_sub_f64", (const void *)kiln_lib_e_sub_f64 },
  { "kiln_lib_e_mul_f64", (const void *)kiln_lib_e_mul_f64 },
  { "kiln_lib_e_div_f64", (const void *)kiln_lib_e_div_f64 },
  { "kiln_lib_e_pow_f64", (const void *)kiln_lib_e_pow_f64 },
  { "kiln_lib_e_max_f64", (const void *)kiln_lib_e_max_f64 },
  { "kiln_lib_e_min_f64", (const void *)kiln_lib_e_min_f64 },
  { "kiln_lib_e_lt_f64", (const void *)kiln_lib_e_lt_f64 },
  { "kiln_lib_e_le_f64", (const void *)kiln_lib_e_le_f64 },
  { "kiln_lib_e_gt_f64", (const void *)kiln_lib_e_gt_f64 },
  { "kiln_lib_e_ge_f64", (const void *)kiln_lib_e_ge_f64 },
  { "kiln_lib_e_eq_f64", (const void *)kiln_lib_e_eq_f64 },
  { "kiln_lib_e_ne_f64", (const void *)kiln_lib_e_ne_f64 },
  { "kiln_lib_e_pick_f64", (const void *)kiln_lib_e_pick_f64 },
  { "kiln_lib_e_keep_f64", (const void *)kiln_lib_e_keep_f64 },
  { "kiln_lib_e_neg_i32", (const void *)kiln_lib_e_neg_i32 },
  { "kiln_lib_e_abs_i32", (const void *)kiln_lib_e_abs_i32 },
  { "kiln_lib_e_sign_i32", (const void *)kiln_lib_e_sign_i32 },
  { "kiln_lib_e_relu_i32", (const void *)kiln_lib_e_relu_i32 },
  { "kiln_lib_e_add_i32", (const void *)kiln_lib_e_add_i32 },
  { "kiln_lib_e_sub_i32", (const void *)kiln_lib_e_sub_i32 },
  { "kiln_lib_e_mul_i32", (const void *)kiln_lib_e_mul_i32 },
  { "kiln_lib_e_div_i32", (const void *)kiln_lib_e_div_i32 },
  { "kiln_lib_e_pow_i32", (const void *)kiln_lib_e_pow_i32 },
  { "kiln_lib_e_max_i32", (const void *)kiln_lib_e_max_i32 },
  { "kiln_lib_e_min_i32", (const void *)kiln_lib_e_min_i32 },
  { "kiln_lib_e_lt_i32", (const void *)kiln_lib_e_lt_i32 },
  { "kiln_lib_e_le_i32", (const void *)kiln_lib_e_le_i32 },
  { "kiln_lib_e_gt_i32", (const void *)kiln_lib_e_gt_i32 },
  { "kiln_lib_e_ge_i32", (const void *)kiln_lib_e_ge_i32 },
  { "kiln_lib_e_eq_i32", (const void *)kiln_lib_e_eq_i32 },
  { "kiln_lib_e_ne_i32", (const void *)kiln_lib_e_ne_i32 },
  { "kiln_lib_e_pick_i32", (const void *)kiln_lib_e_pick_i32 },
  { "kiln_lib_e_neg_i64", (const void *)kiln_lib_e_neg_i64 },
  { "kiln_lib_e_abs_i64", (const void *)kiln_lib_e_abs_i64 },
  { "kiln_lib_e_sign_i64", (const void *)kiln_lib_e_sign_i64 },
  { "kiln_lib_e_relu_i64", (const void *)kiln_lib_e_relu_i64 },
  { "kiln_lib_e_add_i64", (const void *)kiln_lib_e_add_i64 },
  { "kiln_lib_e_sub_i64", (const void *)kiln_lib_e_sub_i64 },
  { "kiln_lib_e_mul_i64", (const void *)kiln_lib_e_mul_i64 },
  { "kiln_lib_e_div_i64", (const void *)kiln_lib_e_div_i64 },
  { "kiln_lib_e_pow_i64", (const void *)kiln_lib_e_pow_i64 },
  { "kiln_lib_e_max_i64", (const void *)kiln_lib_e_max_i64 },
  { "kiln_lib_e_min_i64", (const void *)kiln_lib_e_min_i64 },
  { "kiln_lib_e_lt_i64", (const void *)kiln_lib_e_lt_i64 },
  { "kiln_lib_e_le_i64", (const void *)kiln_lib_e_le_i64 },
  { "kiln_lib_e_gt_i64", (const void *)kiln_lib_e_gt_i64 },
  { "kiln_lib_e_ge_i64", (const void *)kiln_lib_e_ge_i64 },
  { "kiln_lib_e_eq_i64", (const void *)kiln_lib_e_eq_i64 },
  { "kiln_lib_e_ne_i64", (const void *)kiln_lib_e_ne_i64 },
  { "kiln_lib_e_pick_i64", (const void *)kiln_lib_e_pick_i64 },
  { "kiln_lib_e_from_f64_f32", (const void *)kiln_lib_e_from_f64_f32 },
  { "kiln_lib_e_from_i32_f32", (const void *)kiln_lib_e_from_i32_f32 },
  { "kiln_lib_e_from_i64_f32", (const void *)kiln_lib_e_from_i64_f32 },
  { "kiln_lib_e_from_bool_f32", (const void *)kiln_lib_e_from_bool_f32 },
  { "kiln_lib_e_fill_f32", (const void *)kiln_lib_e_fill_f32 },
  { "kiln_lib_e_from_f32_f64", (const void *)kiln_lib_e_from_f32_f64 },
  { "kiln_lib_e_from_i32_f64", (const void *)kiln_lib_e_from_i32_f64 },
  { "kiln_lib_e_from_i64_f64", (const void *)kiln_lib_e_from_i64_f64 },
  { "kiln_lib_e_from_bool_f64", (const void *)kiln_lib_e_from_bool_f64 },
  { "kiln_lib_e_fill_f64", (const void *)kiln_lib_e_fill_f64 },
  { "kiln_lib_e_from_f32_i32", (const void *)kiln_lib_e_from_f32_i32 },
  { "kiln_lib_e_from_f64_i32", (const void *)kiln_lib_e_from_f64_i32 },
  { "kiln_lib_e_from_i64_i32", (const void *)kiln_lib_e_from_i64_i32 },
  { "kiln_lib_e_from_bool_i32", (const void *)kiln_lib_e_from_bool_i32 },
  { "kiln_lib_e_fill_i32", (const void *)kiln_lib_e_fill_i32 },
  { "kiln_lib_e_from_f32_i64", (const void *)kiln_lib_e_from_f32_i64 },
  { "kiln_lib_e_from_f64_i64", (const void *)kiln_lib_e_from_f64_i64 },
  { "kiln_lib_e_from_i32_i64", (const void *)kiln_lib_e_from_i32_i64 },
  { "kiln_lib_e_from_bool_i64", (const void *)kiln_lib_e_from_bool_i64 },
  { "kiln_lib_e_fill_i64", (const void *)kiln_lib_e_fill_i64 },
  { "kiln_lib_e_from_f32_bool", (const void *)kiln_lib_e_from_f32_bool },
  { "kiln_lib_e_from_f64_bool", (const void *)kiln_lib_e_from_f64_bool },
  { "kiln_lib_e_from_i32_bool", (const void *)kiln_lib_e_from_i32_bool },
  { "kiln_lib_e_from_i64_bool", (const void *)kiln_lib_e_from_i64_bool },
  { "kiln_lib_e_fill_bool", (const void *)kiln_lib_e_fill_bool },
};
const void *kiln_lib_element_kernel(const char *name) {
  for (unsigned long k = 0; k < sizeof kiln_element_kernels / sizeof kiln_element_kernels[0]; k++) {
    if (strcmp(kiln_element_kernels[k].name, name) == 0) return kiln_element_kernels[k].address;
  }
  return 0;
}
