#pragma once
// Private to src/bsde: argument checks for the hot path.  Unlike udeflow::Require
// (const std::string&), the message is only turned into a string when the check fails,
// so a passing check allocates nothing.
#include "udeflow/core/error.hpp"

namespace udeflow::bsde {

inline void Check(bool condition, const char* message) {
  if (!condition) throw Error(message);
}

}  // namespace udeflow::bsde
