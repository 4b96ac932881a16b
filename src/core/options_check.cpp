#include "udeflow/core/options_check.hpp"

#include <algorithm>
#include <cctype>
#include <cstdarg>
#include <cstdlib>
#include <cstring>

#include "udeflow/core/options.hpp"

namespace udeflow {

namespace {

PetscErrorCode SilentVFPrintf(FILE*, const char[], va_list) {
  return 0;
}
PetscErrorCode SilentHelpPrintf(MPI_Comm, const char[], ...) {
  return 0;
}

// Options PETSc reads outside any object (at PetscFinalize or only when some other
// option is set), which it never marks as used before the end of a command; a trailing
// '*' matches any suffix.
bool ReadByPetscRuntime(const std::string& name) {
  static const char* kNames[] = {
      "help",
      "options_left",
      "options_view",
      "options_monitor*",
      "log_view*",
      "log_trace*",
      "log_all",
      "log_summary*",
      "malloc_dump",
      "malloc_view*",
      "malloc_debug",
      "malloc_test",
      "memory_view",
      "objects_dump",
      "citations",
      "get_total_flops",
      "info*",
      "history",
      "on_error_*",
      "no_signal_handler",
      "fp_trap",
      "skip_petscrc",
      "options_strict",
      "udeflow_traceback",
      "udeflow_commands",      // which commands a case is for (read by scripts)
      "udeflow_seeds",         // the seeds scripts/reproduce.sh runs a case with
      "udeflow_seed_options",  // the options of one seed ({seed}) for scripts/reproduce.sh
      "udeflow_report_note"};  // what a case's report section is (and is not), for reproduce.sh
  for (const char* k : kNames) {
    const size_t n = std::strlen(k);
    if (k[n - 1] == '*' ? name.compare(0, n - 1, k, n - 1) == 0 : name == k) return true;
  }
  return false;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The option read by some command closest to `name` (at most 3 edits), or "".
std::string Suggestion(const std::string& name) {
  std::string best;
  size_t best_d = 4;
  for (const std::string& q : OptionsQueried()) {
    const size_t d = EditDistance(name, q);
    if (d > 0 && d < best_d) best_d = d, best = q;
  }
  return best;
}

// Rank 0's list of the options nobody has read so far (the database is the same on
// every rank), minus the ones PETSc reads at the end.
PetscErrorCode UnreadNames(MPI_Comm comm, std::vector<std::string>* names) {
  PetscFunctionBeginUser;
  PetscMPIInt rank;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  std::string joined;
  if (rank == 0) {
    PetscInt n;
    char **left, **values;
    PetscCall(PetscOptionsLeftGet(nullptr, &n, &left, &values));
    for (PetscInt i = 0; i < n; ++i) {
      std::string s = left[i][0] == '-' ? left[i] + 1 : left[i];
      if (!ReadByPetscRuntime(s)) joined += s + "\n";
    }
    PetscCall(PetscOptionsLeftRestore(nullptr, &n, &left, &values));
  }
  int len = static_cast<int>(joined.size());
  PetscCallMPI(MPI_Bcast(&len, 1, MPI_INT, 0, comm));
  joined.resize(len);
  PetscCallMPI(MPI_Bcast(joined.data(), len, MPI_CHAR, 0, comm));
  names->clear();
  for (size_t a = 0, b; a < joined.size(); a = b + 1) {
    b = joined.find('\n', a);
    names->push_back(joined.substr(a, b - a));
  }
  PetscFunctionReturn(0);
}

// The names of `names` that no rank has read.
PetscErrorCode StillUnread(MPI_Comm comm, std::vector<std::string>* names) {
  PetscFunctionBeginUser;
  std::vector<int> used(names->size(), 0);
  for (size_t i = 0; i < names->size(); ++i) {
    PetscBool flg = PETSC_FALSE;
    PetscCall(PetscOptionsUsed(nullptr, (*names)[i].c_str(), &flg));  // no dash
    used[i] = flg ? 1 : 0;
  }
  if (!used.empty())
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, used.data(), static_cast<int>(used.size()), MPI_INT,
                               MPI_MAX, comm));
  std::vector<std::string> left;
  for (size_t i = 0; i < names->size(); ++i)
    if (!used[i]) left.push_back((*names)[i]);
  *names = left;
  PetscFunctionReturn(0);
}

// Dry-passes every command with the options as the case files alone set them (command
// line options taken out), then puts the command line back.
PetscErrorCode DryPassCaseFileAlone(MPI_Comm comm, const std::vector<OptionsCommand>& all,
                                    std::vector<std::string>* names) {
  PetscFunctionBeginUser;
  std::vector<std::pair<std::string, std::string>> given;
  for (const auto& nv : OptionsWithSource())
    if (OptionsSourceOf(nv.first) == kCommandLine && nv.first != "help") given.push_back(nv);
  for (const auto& nv : given) {
    std::string file_value;
    const std::string dashed = "-" + nv.first;
    PetscCall(PetscOptionsClearValue(nullptr, dashed.c_str()));
    if (OptionsFileValue(nv.first, &file_value))
      PetscCall(PetscOptionsSetValue(nullptr, dashed.c_str(),
                                     file_value.empty() ? nullptr : file_value.c_str()));
  }
  for (const OptionsCommand& c : all) {
    if (names->empty()) break;
    PetscCall(OptionsDryPass(c.run, true));
    PetscCall(StillUnread(comm, names));
  }
  for (const auto& nv : given)
    PetscCall(PetscOptionsSetValue(nullptr, ("-" + nv.first).c_str(),
                                   nv.second.empty() ? nullptr : nv.second.c_str()));
  PetscFunctionReturn(0);
}

void AddUnused(const std::vector<std::string>& names, const std::string& scope,
               std::vector<UnusedOption>* unused, bool suggest = true) {
  for (const std::string& n : names) {
    UnusedOption u{n, OptionsSourceOf(n), suggest ? Suggestion(n) : "", ""};
    u.text = "option -" + n + (u.source.empty() ? "" : " (from " + u.source + ")") + scope;
    if (!u.suggestion.empty()) u.text += "; did you mean -" + u.suggestion + "?";
    unused->push_back(u);
  }
}

}  // namespace

PetscErrorCode OptionsDryPass(PetscErrorCode (*run)(), bool quiet) {
  PetscFunctionBeginUser;
  PetscBool had_help = PETSC_FALSE;
  PetscCall(PetscOptionsHasHelp(nullptr, &had_help));
  if (!had_help) PetscCall(PetscOptionsSetValue(nullptr, "-help", nullptr));
  auto vfprintf = PetscVFPrintf;
  auto helpprintf = PetscHelpPrintf;
  PetscVFPrintf = SilentVFPrintf;
  PetscHelpPrintf = SilentHelpPrintf;
  if (quiet) PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
  PetscErrorCode e = run();
  if (quiet) PetscCall(PetscPopErrorHandler());
  PetscVFPrintf = vfprintf;
  PetscHelpPrintf = helpprintf;
  if (!had_help) PetscCall(PetscOptionsClearValue(nullptr, "-help"));
  PetscFunctionReturn(quiet ? 0 : e);
}

PetscErrorCode OptionsFindUnused(const std::string& command, const std::vector<OptionsCommand>& all,
                                 std::vector<UnusedOption>* unused) {
  PetscFunctionBeginUser;
  const MPI_Comm comm = PETSC_COMM_WORLD;
  unused->clear();
  std::vector<std::string> names, from_file, other;
  PetscCall(UnreadNames(comm, &names));
  PetscCall(StillUnread(comm, &names));
  for (const std::string& n : names) {
    const std::string src = OptionsSourceOf(n);
    (src.empty() || src == kCommandLine ? other : from_file).push_back(n);
  }
  // A case file serves every command: its options count as used when any command reads
  // them, with the command line's options or as the case file alone sets them (the
  // command line may choose a method that does not read them, e.g. -ts_type bdf and the
  // case's ts_rk_type).  A command-line option that only other commands read is noted
  // (a script passing the same options to every command), not refused.
  std::vector<std::string> other_left = other;
  for (const OptionsCommand& c : all) {
    if (from_file.empty() && other_left.empty()) break;
    if (command == c.name) continue;
    PetscCall(OptionsDryPass(c.run, true));
    PetscCall(StillUnread(comm, &from_file));
    PetscCall(StillUnread(comm, &other_left));
  }
  if (!from_file.empty()) PetscCall(DryPassCaseFileAlone(comm, all, &from_file));
  std::vector<std::string> elsewhere;
  for (const std::string& n : other)
    if (std::find(other_left.begin(), other_left.end(), n) == other_left.end())
      elsewhere.push_back(n);
  AddUnused(other_left, " is not read by `udeflow " + command + "` nor any other command", unused);
  AddUnused(from_file, " is not read by any udeflow command", unused);
  const size_t refused = unused->size();
  AddUnused(elsewhere, " is not read by `udeflow " + command + "` (only by other commands)", unused,
            false);
  for (size_t k = refused; k < unused->size(); ++k) (*unused)[k].refused = false;
  PetscFunctionReturn(0);
}

void OptionsDropPetscObjectOptions(std::vector<UnusedOption>* unused) {
  static const char* kObjects[] = {"ts_", "tao_", "snes_", "ksp_", "pc_"};
  auto petsc = [](const UnusedOption& u) {
    for (const char* o : kObjects)
      for (size_t at = u.name.find(o); at != std::string::npos; at = u.name.find(o, at + 1))
        if (at == 0 || u.name[at - 1] == '_') return true;
    return false;
  };
  unused->erase(std::remove_if(unused->begin(), unused->end(), petsc), unused->end());
}

PetscErrorCode OptionsStrict(bool* strict) {
  PetscFunctionBeginUser;
  PetscBool flg = PETSC_FALSE;
  PetscCall(PetscOptionsGetBool(nullptr, nullptr, "-options_strict", &flg, nullptr));
  const char* env = std::getenv("UDEFLOW_OPTIONS_STRICT");
  *strict = flg || (env && env[0] && std::strcmp(env, "0") != 0);
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsReportUnused(const std::vector<UnusedOption>& unused) {
  PetscFunctionBeginUser;
  for (const UnusedOption& u : unused)
    PetscCall(
        PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "udeflow: warning: %s\n", u.text.c_str()));
  PetscFunctionReturn(0);
}

namespace {

// PETSc's messages for a text that is not a number or a boolean, and what was expected.
bool ParseErrorValue(const std::string& m, std::string* value, const char** expected) {
  struct Pattern {
    const char *head, *tail, *expected;
  };
  static const Pattern kPatterns[] = {
      {"Input string ", " has no integer value", "an integer"},
      {"Input string ", " has no numeric value", "a number"},
      {"Unknown logical value: ", "", "a boolean (true or false)"},
  };
  for (const Pattern& p : kPatterns) {
    const size_t h = m.find(p.head);
    if (h == std::string::npos) continue;
    const size_t a = h + std::strlen(p.head);
    const size_t b = p.tail[0] ? m.find(p.tail, a) : m.size();
    if (b == std::string::npos) continue;
    *value = m.substr(a, b - a);
    *expected = p.expected;
    return true;
  }
  return false;
}

// The option holding `value` (one that has been read, when several hold it).
std::string OptionWithValue(const std::string& value) {
  std::string found;
  for (const auto& nv : OptionsWithSource()) {
    if (nv.second != value) continue;
    PetscBool used = PETSC_FALSE;
    PetscOptionsUsed(nullptr, nv.first.c_str(), &used);  // no dash
    if (found.empty() || used) found = nv.first;
  }
  return found;
}

// The first "-name" in `m` that is an option with a known source.
std::string NamedOption(const std::string& m) {
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] != '-' || (i > 0 && !std::strchr(" ('\",/", m[i - 1]))) continue;
    size_t j = i + 1;
    while (j < m.size() && (std::isalnum((unsigned char)m[j]) || m[j] == '_')) ++j;
    const std::string name = m.substr(i + 1, j - i - 1);
    if (!name.empty() && !OptionsSourceOf(name).empty()) return name;
  }
  return "";
}

}  // namespace

std::string OptionsExplainError(const std::string& message) {
  std::string m = message, value;
  const char* expected = nullptr;
  if (ParseErrorValue(m, &value, &expected)) {
    const std::string name = OptionWithValue(value);
    if (!name.empty()) m = "option -" + name + " must be " + expected + ", got '" + value + "'";
  }
  const std::string name = NamedOption(m);
  if (name.empty() || m.find("(from ") != std::string::npos) return m;
  const std::string src = OptionsSourceOf(name);
  return m + " (-" + name + (src == kCommandLine ? " was set on " : " was set in ") + src + ")";
}

}  // namespace udeflow
