#pragma once
/// \file scoped_options.hpp
/// Sets PETSc option values for the lifetime of the object, then restores the previous
/// values (or removes them): tests build variants of a case from the same options, and
/// `udeflow evaluate -evaluate_models label:path:option=value` gives one model options of
/// its own while it is created.  Otherwise library code configures objects through their
/// setters.
#include <petscsys.h>

#include <string>
#include <vector>

namespace udeflow {

class ScopedOptionValues {
 public:
  ScopedOptionValues() = default;
  ~ScopedOptionValues() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->had)
        PetscOptionsSetValue(nullptr, it->name.c_str(),
                             it->value.empty() ? nullptr : it->value.c_str());
      else
        PetscOptionsClearValue(nullptr, it->name.c_str());
    }
  }
  ScopedOptionValues(const ScopedOptionValues&) = delete;
  ScopedOptionValues& operator=(const ScopedOptionValues&) = delete;
  /// `name` with its leading dash, e.g. "-burgers_n".
  PetscErrorCode Set(const std::string& name, const std::string& value) {
    PetscFunctionBeginUser;
    char buf[PETSC_MAX_PATH_LEN] = "";
    PetscBool had = PETSC_FALSE;
    PetscCall(PetscOptionsGetString(nullptr, nullptr, name.c_str(), buf, sizeof(buf), &had));
    saved_.push_back({name, buf, static_cast<bool>(had)});
    PetscCall(PetscOptionsSetValue(nullptr, name.c_str(), value.c_str()));
    PetscFunctionReturn(0);
  }

 private:
  struct Saved {
    std::string name, value;
    bool had;
  };
  std::vector<Saved> saved_;
};

}  // namespace udeflow
