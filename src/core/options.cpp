#include "udeflow/core/options.hpp"

#include "udeflow/core/options_check.hpp"

#include <cmath>
#include <map>
#include <utility>

namespace udeflow {

namespace {

struct Source {
  std::string source, value;
};
std::map<std::string, Source>& Sources() {
  static std::map<std::string, Source> sources;
  return sources;
}
std::map<std::string, std::string>& FileValues() {
  static std::map<std::string, std::string> values;
  return values;
}
std::set<std::string>& Queried() {
  static std::set<std::string> queried;
  return queried;
}
std::string Undashed(const std::string& name) {
  return (!name.empty() && name[0] == '-') ? name.substr(1) : name;
}

std::string Joined(const std::vector<const char*>& v) {
  std::string s;
  for (const char* c : v) s += (s.empty() ? "" : ", ") + std::string(c);
  return s;
}

enum class Kind { kInt, kReal, kIntList, kRealList };

// Parses the option's text with PETSc's own reader, errors silenced: true when it parses.
bool Parses(PetscOptionItems* items, const char* opt, Kind kind) {
  PetscInt i, n = 64;
  PetscReal r;
  std::vector<PetscInt> ibuf(n);
  std::vector<PetscReal> rbuf(n);
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  PetscErrorCode e = 0;
  switch (kind) {
    case Kind::kInt:
      e = PetscOptionsGetInt(items->options, items->prefix, opt, &i, nullptr);
      break;
    case Kind::kReal:
      e = PetscOptionsGetReal(items->options, items->prefix, opt, &r, nullptr);
      break;
    case Kind::kIntList:
      e = PetscOptionsGetIntArray(items->options, items->prefix, opt, ibuf.data(), &n, nullptr);
      break;
    case Kind::kRealList:
      e = PetscOptionsGetRealArray(items->options, items->prefix, opt, rbuf.data(), &n, nullptr);
      break;
  }
  PetscPopErrorHandler();
  return e == 0;
}

// Before PETSc reads a number: a text that is not one is an error naming the option
// (PETSc's own message names neither the option nor where it was set).
PetscErrorCode CheckNumber(PetscOptionItems* items, const char* opt, Kind kind) {
  PetscFunctionBeginUser;
  const std::string name = OptionName(items, opt);
  Queried().insert(name.substr(1));
  char raw[PETSC_MAX_PATH_LEN] = "";
  PetscBool set = PETSC_FALSE;
  PetscCall(PetscOptionsGetString(items->options, items->prefix, opt, raw, sizeof(raw), &set));
  if (!set || Parses(items, opt, kind)) PetscFunctionReturn(0);
  static const char* what[] = {"an integer", "a number", "a comma-separated list of integers",
                               "a comma-separated list of numbers"};
  SETERRQ(items->comm, PETSC_ERR_USER_INPUT, "option %s must be %s, got %s%s%s", name.c_str(),
          what[static_cast<int>(kind)], raw[0] ? "'" : "no value", raw, raw[0] ? "'" : "");
}

}  // namespace

void OptionsSetSource(const std::string& name, const std::string& source,
                      const std::string& value) {
  Sources()[Undashed(name)] = Source{source, value};
  if (source != kCommandLine) FileValues()[Undashed(name)] = value;
}

bool OptionsFileValue(const std::string& name, std::string* value) {
  auto it = FileValues().find(Undashed(name));
  if (it == FileValues().end()) return false;
  *value = it->second;
  return true;
}

std::string OptionsSourceOf(const std::string& name) {
  auto it = Sources().find(Undashed(name));
  return it == Sources().end() ? std::string() : it->second.source;
}

std::vector<std::pair<std::string, std::string>> OptionsWithSource() {
  std::vector<std::pair<std::string, std::string>> all;
  for (const auto& kv : Sources()) all.emplace_back(kv.first, kv.second.value);
  return all;
}

const std::set<std::string>& OptionsQueried() {
  return Queried();
}

std::string OptionName(PetscOptionItems* items, const char* opt) {
  std::string s = "-";
  if (items && items->prefix) s += items->prefix;
  s += (opt[0] == '-') ? opt + 1 : opt;
  return s;
}

PetscErrorCode OptionsPositiveInt_Private(PetscOptionItems* items, const char* opt,
                                          const char* text, PetscInt* value, PetscBool* set) {
  PetscFunctionBeginUser;
  PetscCall(CheckNumber(items, opt, Kind::kInt));
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
  PetscCall(CheckNumber(items, opt, Kind::kInt));
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
  PetscCall(CheckNumber(items, opt, Kind::kReal));
  PetscCall(PetscOptionsReal_Private(items, opt, text, "", *value, value, set));
  PetscCheck(std::isfinite(*value) && *value > 0, items->comm, PETSC_ERR_USER_INPUT,
             "option %s must be a positive number, got %g", OptionName(items, opt).c_str(),
             (double)*value);
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsNonNegativeReal_Private(PetscOptionItems* items, const char* opt,
                                              const char* text, PetscReal* value, PetscBool* set) {
  PetscFunctionBeginUser;
  PetscCall(CheckNumber(items, opt, Kind::kReal));
  PetscCall(PetscOptionsReal_Private(items, opt, text, "", *value, value, set));
  PetscCheck(std::isfinite(*value) && *value >= 0, items->comm, PETSC_ERR_USER_INPUT,
             "option %s must be a non-negative number, got %g", OptionName(items, opt).c_str(),
             (double)*value);
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsFiniteReal_Private(PetscOptionItems* items, const char* opt, const char* text,
                                         PetscReal* value, PetscBool* set) {
  PetscFunctionBeginUser;
  PetscCall(CheckNumber(items, opt, Kind::kReal));
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
  Queried().insert(OptionName(items, opt).substr(1));
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
  Queried().insert(OptionName(items, opt).substr(1));
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
  PetscCall(CheckNumber(items, opt, Kind::kIntList));
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
  PetscCall(CheckNumber(items, opt, Kind::kRealList));
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
