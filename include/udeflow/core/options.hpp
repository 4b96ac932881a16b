#pragma once
/// \file options.hpp
/// Validated option readers for use inside PetscOptionsBegin()/PetscOptionsEnd().
/// A bad value is a user error naming the option (error.hpp); -help lists each
/// option with its current value, and the choices for enumerated options.
#include <petscsys.h>

#include <set>
#include <string>
#include <vector>

namespace udeflow {

/// Records that option `name` (without the leading dash) was set by `source`: a case
/// file's path, or "the command line".  A later record of the same name wins (the
/// command line overrides the case file).  Filled by SessionInitialize.
void OptionsSetSource(const std::string& name, const std::string& source, const std::string& value);
/// The source recorded for `name` (with or without the dash); empty when unknown.
std::string OptionsSourceOf(const std::string& name);
/// The names (without dash) of all options with a recorded source, and their values.
std::vector<std::pair<std::string, std::string>> OptionsWithSource();
/// The names (without dash) queried so far through the Ude option readers below.
const std::set<std::string>& OptionsQueried();

/// "-<prefix><name>" for messages; `opt` includes its leading dash.
std::string OptionName(PetscOptionItems* items, const char* opt);

PetscErrorCode OptionsPositiveInt_Private(PetscOptionItems* items, const char* opt,
                                          const char* text, PetscInt* value, PetscBool* set);
PetscErrorCode OptionsNonNegativeInt_Private(PetscOptionItems* items, const char* opt,
                                             const char* text, PetscInt* value, PetscBool* set);
PetscErrorCode OptionsPositiveReal_Private(PetscOptionItems* items, const char* opt,
                                           const char* text, PetscReal* value, PetscBool* set);
PetscErrorCode OptionsNonNegativeReal_Private(PetscOptionItems* items, const char* opt,
                                              const char* text, PetscReal* value, PetscBool* set);
PetscErrorCode OptionsFiniteReal_Private(PetscOptionItems* items, const char* opt, const char* text,
                                         PetscReal* value, PetscBool* set);
/// One of `choices`; an unknown value is an error listing them.
PetscErrorCode OptionsChoice_Private(PetscOptionItems* items, const char* opt, const char* text,
                                     const std::vector<const char*>& choices, std::string* value,
                                     PetscBool* set);
PetscErrorCode OptionsString_Private(PetscOptionItems* items, const char* opt, const char* text,
                                     std::string* value, PetscBool* set);
/// A list of integers with -opt 1,2,3 (at most `max` entries).
PetscErrorCode OptionsIntList_Private(PetscOptionItems* items, const char* opt, const char* text,
                                      std::vector<PetscInt>* value, PetscInt max, PetscBool* set);
PetscErrorCode OptionsRealList_Private(PetscOptionItems* items, const char* opt, const char* text,
                                       std::vector<PetscReal>* value, PetscInt max, PetscBool* set);

}  // namespace udeflow

// Use these inside PetscOptionsBegin/End; `value` holds the default on entry.
#define UdeOptionsPositiveInt(opt, text, value, set) \
  udeflow::OptionsPositiveInt_Private(PetscOptionsObject, opt, text, value, set)
#define UdeOptionsNonNegativeInt(opt, text, value, set) \
  udeflow::OptionsNonNegativeInt_Private(PetscOptionsObject, opt, text, value, set)
#define UdeOptionsPositiveReal(opt, text, value, set) \
  udeflow::OptionsPositiveReal_Private(PetscOptionsObject, opt, text, value, set)
#define UdeOptionsNonNegativeReal(opt, text, value, set) \
  udeflow::OptionsNonNegativeReal_Private(PetscOptionsObject, opt, text, value, set)
#define UdeOptionsReal(opt, text, value, set) \
  udeflow::OptionsFiniteReal_Private(PetscOptionsObject, opt, text, value, set)
#define UdeOptionsChoice(opt, text, ...) \
  udeflow::OptionsChoice_Private(PetscOptionsObject, opt, text, __VA_ARGS__)
#define UdeOptionsString(opt, text, value, set) \
  udeflow::OptionsString_Private(PetscOptionsObject, opt, text, value, set)
#define UdeOptionsIntList(opt, text, value, max, set) \
  udeflow::OptionsIntList_Private(PetscOptionsObject, opt, text, value, max, set)
#define UdeOptionsRealList(opt, text, value, max, set) \
  udeflow::OptionsRealList_Private(PetscOptionsObject, opt, text, value, max, set)
