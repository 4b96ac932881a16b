#pragma once
/// \file aligned.hpp
/// Buffers whose first element sits on a 64-byte boundary.
///
/// Why: vectorized kernels (Eigen's reductions and coefficient-wise loops, lazy
/// products) peel the first elements of a buffer up to the SIMD alignment and handle them
/// with scalar code whose rounding can differ from the vector code.  With glibc's 16-byte
/// malloc the peel depends on where the heap happens to put a buffer (address-space
/// randomisation, environment size), so the same run could give different last bits.
/// Every numeric buffer that such kernels read or write is therefore allocated here (or
/// is an Eigen object, which Eigen aligns itself; PETSc's arrays are aligned by
/// udeflow::Session).  64 bytes is the widest vector (AVX-512) and a cache line.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace udeflow {

constexpr std::size_t kBufferAlignment = 64;

/// Standard allocator returning kBufferAlignment-aligned storage.
template <class T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() noexcept = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    if (n == 0) n = 1;
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes =
        (n * sizeof(T) + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
    void* p = std::aligned_alloc(kBufferAlignment, bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const AlignedAllocator<U>&) const noexcept {
    return false;
  }
};

/// A std::vector whose data() is 64-byte aligned.
template <class T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace udeflow
