#include "dense_kernels.hpp"

#include <algorithm>

namespace udeflow::nn::detail {
namespace {

namespace ei = Eigen::internal;
using Packet = ei::packet_traits<double>::type;
constexpr int kP = ei::packet_traits<double>::size;
// Register block: kMR packets of rows x kNR columns of accumulators (12 of the 16 AVX2
// registers, 24 of the 32 AVX-512 ones), the rest for the weights and the broadcasts.
constexpr int kMR = kP >= 8 ? 4 : 2;
constexpr int kNR = 6;
// Points per cache block: 48 columns of a 32-wide layer are 12 kB.
constexpr int kBlock = 48;

enum class Init { kZero, kBias, kAccumulate };
enum class Epi { kNone, kTanh, kRelu, kTanhDeriv, kReluDeriv };

Epi ForwardEpi(Activation a) {
  return a == Activation::kTanh ? Epi::kTanh : a == Activation::kRelu ? Epi::kRelu : Epi::kNone;
}
Epi DerivEpi(Activation a) {
  return a == Activation::kTanh   ? Epi::kTanhDeriv
         : a == Activation::kRelu ? Epi::kReluDeriv
                                  : Epi::kNone;
}

// tanh(z) = 1 - 2 / (exp(2 z) + 1), the formula of FastTanh, with an exp written for this
// use.  z is clamped to [-25, 25] (tanh is +-1 to the last bit beyond), so no overflow,
// underflow or subnormal needs a branch; exp(2 z) = 2^n exp(2 r) with n = round(2 z / ln 2)
// and r = z - n ln2/2 in [-ln2/4, ln2/4] (ln 2 / 2 split in two: n ln2_hi/2 is exact);
// exp(2 r) by a degree-11 polynomial in Horner form with FMAs, 2^n built in the exponent
// bits.  The coefficients are the Chebyshev fit of exp(2 r) on [-ln2/4, ln2/4] (40-digit
// arithmetic, rounded to double): relative error below 2e-17 before rounding, ~2 ulp
// after; tanh's absolute error ~2e-16.  NaN propagates (max/min return their second
// operand when it is a NaN).  TanhGroup<N> evaluates N packets in lockstep, one stage for
// all of them before the next, so that N independent dependency chains are in flight.
constexpr double kTwoLog2e = 2.8853900817779268147, kHalfLn2Hi = 3.46573590184561908245e-01,
                 kHalfLn2Lo = 9.54107464635293850010e-11;
// 1.5 * 2^52 + 1023: adding it rounds to an integer and leaves n + 1023 in the low bits.
constexpr double kShifter = 6755399441055744.0 + 1023.0;
constexpr double kExpPoly[12] = {1.0,
                                 2.0,
                                 2.0000000000000075,
                                 1.3333333333333344,
                                 0.6666666666638096,
                                 0.26666666666622724,
                                 0.08888888929481456,
                                 0.025396825459260305,
                                 0.0063491802834760944,
                                 0.0014109307350312432,
                                 0.00028295822990378013,
                                 5.1425357017013815e-05};

// The AVX2 and AVX-512 versions differ only in the intrinsics' prefix and register type.
#define UDEFLOW_TANH_SIMD(P, pre, si)                                                             \
  template <int N>                                                                                \
  inline void TanhGroup(P* v) {                                                                   \
    P t[N], n[N], r[N], p[N];                                                                     \
    for (int i = 0; i < N; ++i) {                                                                 \
      v[i] = pre##_min_pd(pre##_set1_pd(25.0), pre##_max_pd(pre##_set1_pd(-25.0), v[i]));         \
      t[i] = pre##_fmadd_pd(v[i], pre##_set1_pd(kTwoLog2e), pre##_set1_pd(kShifter));             \
    }                                                                                             \
    for (int i = 0; i < N; ++i) n[i] = pre##_sub_pd(t[i], pre##_set1_pd(kShifter));               \
    for (int i = 0; i < N; ++i) r[i] = pre##_fnmadd_pd(n[i], pre##_set1_pd(kHalfLn2Hi), v[i]);    \
    for (int i = 0; i < N; ++i) r[i] = pre##_fnmadd_pd(n[i], pre##_set1_pd(kHalfLn2Lo), r[i]);    \
    for (int i = 0; i < N; ++i) p[i] = pre##_set1_pd(kExpPoly[11]);                               \
    for (int k = 10; k >= 0; --k)                                                                 \
      for (int i = 0; i < N; ++i) p[i] = pre##_fmadd_pd(p[i], r[i], pre##_set1_pd(kExpPoly[k]));  \
    for (int i = 0; i < N; ++i) {                                                                 \
      const P e = pre##_mul_pd(                                                                   \
          p[i], pre##_castsi##si##_pd(pre##_slli_epi64(pre##_castpd_si##si(t[i]), 52)));          \
      v[i] = pre##_sub_pd(pre##_set1_pd(1.0),                                                     \
                          pre##_div_pd(pre##_set1_pd(2.0), pre##_add_pd(e, pre##_set1_pd(1.0)))); \
    }                                                                                             \
  }
#if defined(EIGEN_VECTORIZE_AVX512) && defined(__AVX512F__)
UDEFLOW_TANH_SIMD(__m512d, _mm512, 512)
#elif defined(EIGEN_VECTORIZE_AVX2) && defined(__FMA__)
UDEFLOW_TANH_SIMD(__m256d, _mm256, 256)
#else
// Other targets: Eigen's packet exp (the arithmetic of the generic path).
template <int N>
inline void TanhGroup(Packet* v) {
  const Packet one = ei::pset1<Packet>(1.0), two = ei::pset1<Packet>(2.0);
  for (int i = 0; i < N; ++i)
    v[i] = ei::psub(one, ei::pdiv(two, ei::padd(ei::pexp(ei::pmul(two, v[i])), one)));
}
#endif

inline Packet Tanh(Packet z) {
  TanhGroup<1>(&z);
  return z;
}
#undef UDEFLOW_TANH_SIMD

// The epilogue of one packet v; e: the activation values at the same place (derivatives).
inline Packet Apply(Epi epi, const Packet& v, const double* e) {
  switch (epi) {
    case Epi::kNone:
      return v;
    case Epi::kTanh:
      return Tanh(v);
    case Epi::kRelu:
      return ei::pmax(v, ei::pzero(v));
    case Epi::kTanhDeriv: {
      const Packet a = ei::ploadu<Packet>(e);
      return ei::pmul(v, ei::psub(ei::pset1<Packet>(1.0), ei::pmul(a, a)));
    }
    case Epi::kReluDeriv: {
      const Packet a = ei::ploadu<Packet>(e);
      return ei::pmul(v, ei::pand(ei::pset1<Packet>(1.0), ei::pcmp_lt(ei::pzero(a), a)));
    }
  }
  return v;
}

// C(i, j) = init(i, j) + sum_k A(i, k) B(k, j), then the epilogue, for i < m (a multiple of
// kP), j < n.  A(i, k) = A[i + k lda], B(k, j) = B[k bk + j bj], C(i, j) = C[i + j ldc],
// E(i, j) = E[i + j lde].  Each element: one FMA chain over k = 0..K-1 in order.
struct Panel {
  int m, n, K;
  const double* A;
  int lda;
  const double* B;
  int bk, bj;
  double* C;
  int ldc;
  Init init;
  const double* bias;
  Epi epi;
  const double* E;
  int lde;
};

template <int MR, int NR>
void Micro(const Panel& p, int i0, int j0) {
  // The panel's fields in locals: the stores to C below could alias p, and re-reading it
  // after each store (with the tanh out of the epilogue) cost ~2% of a forward pass.
  const int K = p.K, lda = p.lda, bk = p.bk, bj = p.bj, ldc = p.ldc, lde = p.lde;
  const Init init = p.init;
  const Epi epi = p.epi;
  double* const C = p.C + i0 + static_cast<long>(j0) * ldc;
  Packet acc[MR][NR];
  for (int c = 0; c < NR; ++c)
    for (int r = 0; r < MR; ++r)
      acc[r][c] = init == Init::kZero   ? ei::pset1<Packet>(0.0)
                  : init == Init::kBias ? ei::ploadu<Packet>(p.bias + i0 + r * kP)
                                        : ei::ploadu<Packet>(C + r * kP + c * ldc);
  const double* a = p.A + i0;
  const double* b = p.B + static_cast<long>(j0) * bj;
  for (int k = 0; k < K; ++k, a += lda, b += bk) {
    Packet w[MR];
    for (int r = 0; r < MR; ++r) w[r] = ei::ploadu<Packet>(a + r * kP);
    for (int c = 0; c < NR; ++c) {
      const Packet x = ei::pset1<Packet>(b[c * bj]);
      for (int r = 0; r < MR; ++r) acc[r][c] = ei::pmadd(w[r], x, acc[r][c]);
    }
  }
  // tanh is never an epilogue here (ApplyFlat applies it after the panel): the element-wise
  // epilogues below take their operands by value, so the accumulators stay in registers.
  if (epi != Epi::kNone) {
    const double* E = p.E ? p.E + i0 + static_cast<long>(j0) * lde : nullptr;
    for (int c = 0; c < NR; ++c)
      for (int r = 0; r < MR; ++r)
        acc[r][c] = Apply(epi, acc[r][c], E ? E + r * kP + c * lde : nullptr);
  }
  for (int c = 0; c < NR; ++c)
    for (int r = 0; r < MR; ++r) ei::pstoreu(C + r * kP + c * ldc, acc[r][c]);
}

template <int MR>
void MicroColumns(const Panel& p, int i0, int j0, int nr) {
  switch (nr) {
    case 6:
      return Micro<MR, 6>(p, i0, j0);
    case 5:
      return Micro<MR, 5>(p, i0, j0);
    case 4:
      return Micro<MR, 4>(p, i0, j0);
    case 3:
      return Micro<MR, 3>(p, i0, j0);
    case 2:
      return Micro<MR, 2>(p, i0, j0);
    default:
      return Micro<MR, 1>(p, i0, j0);
  }
}

void RunPanel(const Panel& p) {
  const int mv = p.m / kP;
  for (int j0 = 0; j0 < p.n; j0 += kNR) {
    const int nr = std::min(kNR, p.n - j0);
    int r0 = 0;
    for (; r0 + kMR <= mv; r0 += kMR) MicroColumns<kMR>(p, r0 * kP, j0, nr);
    for (; r0 < mv; ++r0) MicroColumns<1>(p, r0 * kP, j0, nr);
  }
}

// C(i, j) = bias_i + sum_k X(k, i) Y(k, j) (bias optional), K a multiple of kP, for the
// narrow layers (rows not a multiple of kP): X(k, i) = X[k + i ldx], Y(k, j) = Y[k + j ldy].
// Each element: one packet FMA chain over the K / kP chunks, then a fixed reduction.
void RunDots(int m, int n, int K, const double* X, int ldx, const double* Y, int ldy, double* C,
             int ldc, const double* bias) {
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      const double* x = X + i * ldx;
      const double* y = Y + j * ldy;
      Packet acc = ei::pmul(ei::ploadu<Packet>(x), ei::ploadu<Packet>(y));
      for (int k = kP; k < K; k += kP)
        acc = ei::pmadd(ei::ploadu<Packet>(x + k), ei::ploadu<Packet>(y + k), acc);
      const double s = ei::predux(acc);
      C[i + j * ldc] = bias ? bias[i] + s : s;
    }
}

// v[0..count) = epilogue(v) lane-wise; the last partial packet goes through a padded copy so
// that every element is computed by the same packet code wherever it sits.  tanh runs in
// groups of kTanhGroup packets in lockstep first (the same arithmetic per element), so that
// independent groups overlap in the core.
constexpr int kTanhGroup = 8;
void ApplyFlat(Epi epi, double* v, const double* e, long count) {
  if (epi == Epi::kNone) return;
  long i = 0;
  if (epi == Epi::kTanh)
    for (; i + kTanhGroup * kP <= count; i += kTanhGroup * kP) {
      Packet x[kTanhGroup];
      for (int g = 0; g < kTanhGroup; ++g) x[g] = ei::ploadu<Packet>(v + i + g * kP);
      TanhGroup<kTanhGroup>(x);
      for (int g = 0; g < kTanhGroup; ++g) ei::pstoreu(v + i + g * kP, x[g]);
    }
  for (; i + kP <= count; i += kP) ei::pstoreu(v + i, Apply(epi, ei::ploadu<Packet>(v + i), e + i));
  if (i == count) return;
  alignas(64) double pv[kP] = {}, pe[kP] = {};
  for (long t = i; t < count; ++t) pv[t - i] = v[t], pe[t - i] = e ? e[t] : 0.0;
  const Packet r = Apply(epi, ei::ploadu<Packet>(pv), pe);
  ei::pstoreu(pv, r);
  for (long t = i; t < count; ++t) v[t] = pv[t - i];
}

// dst (cols x rows, column-major) = src^T (src rows x cols, column-major).
void Transpose(const double* src, int rows, int cols, double* dst) {
  for (int j = 0; j < cols; ++j)
    for (int i = 0; i < rows; ++i) dst[j + i * cols] = src[i + j * rows];
}

// One layer of the forward pass on points [j0, j0 + nb).
void ForwardLayer(const FastNet& f, const double* params, const double* wt_last, DenseNet::Tape& t,
                  int l, int j0, int nb) {
  const std::vector<int>& w = *f.widths;
  const int m = w[l + 1], K = w[l], L = static_cast<int>(w.size()) - 1;
  const Epi epi = ForwardEpi(l + 1 == L ? f.output : f.hidden);
  const double* in = t.act[l].data() + static_cast<long>(j0) * K;
  double* out = t.act[l + 1].data() + static_cast<long>(j0) * m;
  const double* bias = params + (*f.b_offset)[l];
  if (m % kP == 0) {
    // tanh is applied in a separate pass over the block (ApplyFlat) rather than in the
    // micro-kernel's epilogue: the same arithmetic, but in groups of 8 independent packets
    // read from L1 without holding 24 accumulators live, so that two groups overlap in the
    // core (measured 2026-12-05, AMD Zen 4: the epilogue was 56% of the layer time).
    RunPanel({m, nb, K, params + (*f.w_offset)[l], m, in, 1, K, out, m, Init::kBias, bias,
              epi == Epi::kTanh ? Epi::kNone : epi, nullptr, 0});
    if (epi == Epi::kTanh) ApplyFlat(epi, out, nullptr, static_cast<long>(m) * nb);
  } else {  // the narrow output layer: dot products with the rows of W
    RunDots(m, nb, K, wt_last, K, in, K, out, m, bias);
    ApplyFlat(epi, out, nullptr, static_cast<long>(m) * nb);
  }
}

}  // namespace

int PacketLanes() {
  return kP;
}

bool FastPathSupports(const std::vector<int>& widths, Activation hidden, Activation output) {
  auto ok = [](Activation a) {
    return a == Activation::kIdentity || a == Activation::kTanh || a == Activation::kRelu;
  };
  if (widths.size() < 3 || !ok(hidden) || !ok(output)) return false;
  for (size_t l = 1; l + 1 < widths.size(); ++l)
    if (widths[l] % kP != 0) return false;
  return true;
}

namespace {

// The size of tape.packed, the same for the forward pass (the rows of a narrow output
// layer) and the VJP (W_l^T for l >= 1, then the transposed output-layer gradient), so
// that alternating calls never reallocate it.
long PackedSize(const std::vector<int>& w) {
  const int L = static_cast<int>(w.size()) - 1;
  long size = 0;
  for (int l = 1; l < L; ++l) size += static_cast<long>(w[l]) * w[l + 1];
  return size + static_cast<long>(w[L]) * w[L - 1];
}

}  // namespace

void FastForward(const FastNet& f, const double* params, DenseNet::Tape& t) {
  const std::vector<int>& w = *f.widths;
  const int L = static_cast<int>(w.size()) - 1;
  const int n = static_cast<int>(t.act[0].cols());
  for (int l = 0; l < L; ++l) t.act[l + 1].resize(w[l + 1], n);
  const double* wt_last = nullptr;
  if (w[L] % kP != 0) {              // the output layer's rows, packed contiguous
    t.packed.resize(PackedSize(w));  // the same size as in the VJP: no reallocation
    Transpose(params + (*f.w_offset)[L - 1], w[L], w[L - 1], t.packed.data());
    wt_last = t.packed.data();
  }
  for (int j0 = 0; j0 < n; j0 += kBlock) {
    const int nb = std::min(kBlock, n - j0);
    for (int l = 0; l < L; ++l) ForwardLayer(f, params, wt_last, t, l, j0, nb);
  }
}

namespace {

// The state of a VJP: the transposed weights, the transposed gradient of a narrow output
// layer, the two cotangent blocks.
struct VjpWork {
  std::vector<long> wt;  // offsets of W_l^T in tape.packed (l >= 1)
  long gwt = -1;         // offset of the transposed output-layer gradient, or -1
};

VjpWork PackForVjp(const FastNet& f, const double* params, DenseNet::Tape& t, bool grad) {
  const std::vector<int>& w = *f.widths;
  const int L = static_cast<int>(w.size()) - 1;
  VjpWork v;
  long size = 0;
  v.wt.assign(L, 0);
  for (int l = 1; l < L; ++l) v.wt[l] = size, size += static_cast<long>(w[l]) * w[l + 1];
  if (grad && w[L] % kP != 0) v.gwt = size;
  t.packed.resize(PackedSize(w));
  for (int l = 1; l < L; ++l)
    Transpose(params + (*f.w_offset)[l], w[l + 1], w[l], t.packed.data() + v.wt[l]);
  if (v.gwt >= 0) std::fill_n(t.packed.data() + v.gwt, static_cast<long>(w[L]) * w[L - 1], 0.0);
  const int wmax = *std::max_element(w.begin(), w.end());
  for (Matrix& b : t.block) b.resize(wmax, kBlock);
  return v;
}

// Parameter gradient of layer l from the cotangent d (m x nb, column stride ldd) of its
// output on points [j0, j0 + nb): g_W += d x^T, g_b += d 1, point by point in order.
void LayerGradient(const FastNet& f, const VjpWork& v, DenseNet::Tape& t, int l, int j0, int nb,
                   const double* d, int ldd, double* g) {
  const std::vector<int>& w = *f.widths;
  const int m = w[l + 1], K = w[l];
  const double* x = t.act[l].data() + static_cast<long>(j0) * K;
  if (m % kP == 0)
    RunPanel({m, K, nb, d, ldd, x, K, 1, g + (*f.w_offset)[l], m, Init::kAccumulate, nullptr,
              Epi::kNone, nullptr, 0});
  else  // narrow output layer: accumulate g_W^T = x d^T (K rows, a multiple of kP)
    RunPanel({K, m, nb, x, K, d, ldd, 1, t.packed.data() + v.gwt, K, Init::kAccumulate, nullptr,
              Epi::kNone, nullptr, 0});
  double* gb = g + (*f.b_offset)[l];
  for (int j = 0; j < nb; ++j)
    for (int i = 0; i < m; ++i) gb[i] += d[i + static_cast<long>(j) * ldd];
}

// The VJP of points [j0, j0 + nb): all layers back, in one pass over the block.
void VjpBlock(const FastNet& f, const double* params, const VjpWork& v, DenseNet::Tape& t,
              const ConstMatrixRef& ybar, double* g, Matrix* xbar, int j0, int nb) {
  const std::vector<int>& w = *f.widths;
  const int L = static_cast<int>(w.size()) - 1;
  const double* d = ybar.data() + static_cast<long>(j0) * ybar.outerStride();
  int ldd = static_cast<int>(ybar.outerStride()), cur = 0;
  if (f.output != Activation::kIdentity) {  // d = ybar .* act'(output)
    double* b = t.block[cur].data();
    for (int j = 0; j < nb; ++j)
      for (int i = 0; i < w[L]; ++i) b[i + j * w[L]] = d[i + static_cast<long>(j) * ldd];
    ApplyFlat(DerivEpi(f.output), b, t.act[L].data() + static_cast<long>(j0) * w[L],
              static_cast<long>(w[L]) * nb);
    d = b, ldd = w[L], cur = 1;
  }
  for (int l = L - 1; l >= 0; --l) {
    const int m = w[l + 1], K = w[l];
    if (g) LayerGradient(f, v, t, l, j0, nb, d, ldd, g);
    if (l > 0) {  // cotangent of act[l]: (W_l^T d) .* act'(act[l])
      double* dn = t.block[cur].data();
      RunPanel({K, nb, m, t.packed.data() + v.wt[l], K, d, 1, ldd, dn, K, Init::kZero, nullptr,
                DerivEpi(f.hidden), t.act[l].data() + static_cast<long>(j0) * K, K});
      d = dn, ldd = K, cur ^= 1;
    } else if (xbar) {  // input cotangent W_0^T d: dot products with the columns of W_0
      RunDots(K, nb, m, params + (*f.w_offset)[0], m, d, ldd,
              xbar->data() + static_cast<long>(j0) * K, K, nullptr);
    }
  }
}

}  // namespace

void FastVjp(const FastNet& f, const double* params, DenseNet::Tape& t, const ConstMatrixRef& ybar,
             double* g, Matrix* xbar) {
  const std::vector<int>& w = *f.widths;
  const int L = static_cast<int>(w.size()) - 1;
  const int n = static_cast<int>(ybar.cols());
  const VjpWork v = PackForVjp(f, params, t, g != nullptr);
  if (xbar) xbar->resize(w[0], n);
  for (int j0 = 0; j0 < n; j0 += kBlock)
    VjpBlock(f, params, v, t, ybar, g, xbar, j0, std::min(kBlock, n - j0));
  if (v.gwt >= 0) {  // g_W of the output layer from its transpose
    const double* gwt = t.packed.data() + v.gwt;
    double* gw = g + (*f.w_offset)[L - 1];
    for (int k = 0; k < w[L - 1]; ++k)
      for (int i = 0; i < w[L]; ++i) gw[i + k * w[L]] += gwt[k + i * w[L - 1]];
  }
}

}  // namespace udeflow::nn::detail
