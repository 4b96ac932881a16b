#include "udeflow/core/options.hpp"

#include <cmath>

namespace udeflow {

std::string OptionName(PetscOptionItems* items, const char* opt) {
  std::string s = "-";
  if (items && items->prefix) s += items->prefix;
  s += (opt[0] == '-') ? opt + 1 : opt;
  return s;
}

namespace {
std::string Joined(const std::vector<const char*>& v) {
  std::string s;
  for (const char* c : v) s += (s.empty() ? "" : ", ") + std::string(c);
  return s;
}
}  // namespace

PetscErrorCode OptionsPositiveInt_Private(PetscOptionItems* items, const char* opt,
                                          const char* text, PetscInt* value, PetscBool* set) {
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsInt_Private(items, opt, text, "", *value, value, set, PETSC_MIN_INT,
                                    PETSC_MAX_INT));
  PetscCheck(*value > 0, items->comm, PETSC_ERR_USER_INPUT,
             "option %s must be a positive integer, got %" PetscInt_FMT,
             OptionName(items, opt).c_str(), *value);
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsNonNegativeInt_Private(PetscOptionItems* items, const char* opt,
                                             const char* text, PetscInt* value, PetscBool* set) {
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsInt_Private(items, opt, text, "", *value, value, set, PETSC_MIN_INT,
                                    PETSC_MAX_INT));
  PetscCheck(*value >= 0, items->comm, PETSC_ERR_USER_INPUT,
             "option %s must be a non-negative integer, got %" PetscInt_FMT,
             OptionName(items, opt).c_str(), *value);
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsPositiveReal_Private(PetscOptionItems* items, const char* opt,
                                           const char* text, PetscReal* value, PetscBool* set) {
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal_Private(items, opt, text, "", *value, value, set));
  PetscCheck(std::isfinite(*value) && *value > 0, items->comm, PETSC_ERR_USER_INPUT,
             "option %s must be a positive number, got %g", OptionName(items, opt).c_str(),
             (double)*value);
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsNonNegativeReal_Private(PetscOptionItems* items, const char* opt,
                                              const char* text, PetscReal* value, PetscBool* set) {
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal_Private(items, opt, text, "", *value, value, set));
  PetscCheck(std::isfinite(*value) && *value >= 0, items->comm, PETSC_ERR_USER_INPUT,
             "option %s must be a non-negative number, got %g", OptionName(items, opt).c_str(),
             (double)*value);
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsFiniteReal_Private(PetscOptionItems* items, const char* opt, const char* text,
                                         PetscReal* value, PetscBool* set) {
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal_Private(items, opt, text, "", *value, value, set));
  PetscCheck(std::isfinite(*value), items->comm, PETSC_ERR_USER_INPUT,
             "option %s must be a finite number, got %g", OptionName(items, opt).c_str(),
             (double)*value);
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsChoice_Private(PetscOptionItems* items, const char* opt, const char* text,
                                     const std::vector<const char*>& choices, std::string* value,
                                     PetscBool* set) {
  PetscFunctionBeginUser;
  char buf[256];
  PetscBool flg = PETSC_FALSE;
  std::string help = std::string(text) + " (one of: " + Joined(choices) + ")";
  PetscCall(PetscOptionsString_Private(items, opt, help.c_str(), "", value->c_str(), buf,
                                       sizeof(buf), &flg));
  if (flg) *value = buf;
  if (set) *set = flg;
  bool known = false;
  for (const char* c : choices) known = known || (*value == c);
  PetscCheck(known, items->comm, PETSC_ERR_USER_INPUT,
             "option %s: unknown value '%s' (choices: %s)", OptionName(items, opt).c_str(),
             value->c_str(), Joined(choices).c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsString_Private(PetscOptionItems* items, const char* opt, const char* text,
                                     std::string* value, PetscBool* set) {
  PetscFunctionBeginUser;
  char buf[PETSC_MAX_PATH_LEN];
  PetscBool flg = PETSC_FALSE;
  PetscCall(
      PetscOptionsString_Private(items, opt, text, "", value->c_str(), buf, sizeof(buf), &flg));
  if (flg) *value = buf;
  if (set) *set = flg;
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsIntList_Private(PetscOptionItems* items, const char* opt, const char* text,
                                      std::vector<PetscInt>* value, PetscInt max, PetscBool* set) {
  PetscFunctionBeginUser;
  std::vector<PetscInt> buf(max);
  for (size_t i = 0; i < value->size() && i < (size_t)max; ++i) buf[i] = (*value)[i];
  PetscInt n = max;
  PetscBool flg = PETSC_FALSE;
  PetscCall(PetscOptionsIntArray_Private(items, opt, text, "", buf.data(), &n, &flg));
  if (flg) value->assign(buf.begin(), buf.begin() + n);
  if (set) *set = flg;
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsRealList_Private(PetscOptionItems* items, const char* opt, const char* text,
                                       std::vector<PetscReal>* value, PetscInt max,
                                       PetscBool* set) {
  PetscFunctionBeginUser;
  std::vector<PetscReal> buf(max);
  for (size_t i = 0; i < value->size() && i < (size_t)max; ++i) buf[i] = (*value)[i];
  PetscInt n = max;
  PetscBool flg = PETSC_FALSE;
  PetscCall(PetscOptionsRealArray_Private(items, opt, text, "", buf.data(), &n, &flg));
  if (flg) {
    value->assign(buf.begin(), buf.begin() + n);
    for (PetscReal r : *value)
      PetscCheck(std::isfinite(r), items->comm, PETSC_ERR_USER_INPUT, "option %s: non-finite entry",
                 OptionName(items, opt).c_str());
  }
  if (set) *set = flg;
  PetscFunctionReturn(0);
}

}  // namespace udeflow
