// `udeflow <command> -help`: the options a command reads, udeflow's first.
//
// Every option udeflow reads is declared inside a PetscOptionsBegin()/End() block (the
// Ude* readers of core/options.hpp); with -help each block prints its title and one line
// per option through PETSc's printing.  Here that output is captured during the run and
// sorted afterwards: a block whose options all name no PETSc manual page is udeflow's and
// is listed, merged by title (the object: "Case files", "Burgers physics", "Training
// options", ...); PETSc's blocks (TS, SNES, KSP, viewers, ...) only with -help petsc|all.
// The commands return before creating or writing anything when -help is given.
#include "help.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <regex>
#include <vector>

namespace udeflow::app {
namespace {

enum class Level { kNone, kUdeflow, kPetsc, kAll };
Level g_level = Level::kNone;
std::string g_text;  // everything PETSc printed as help on this rank (rank 0 of its comm)

// PETSc prints help (and everything else) through PetscVFPrintf; in -help mode standard
// output is collected here (each printing rank's own), other streams pass through.
PetscErrorCode (*g_default_vfprintf)(FILE*, const char[], va_list) = nullptr;

PetscErrorCode CaptureOutput(FILE* fd, const char format[], va_list ap) {
  if (fd != stdout && fd != PETSC_STDOUT) return g_default_vfprintf(fd, format, ap);
  std::vector<char> buf(4096);
  size_t full = 0;
  va_list again;
  va_copy(again, ap);
  PetscErrorCode ierr = PetscVSNPrintf(buf.data(), buf.size(), format, &full, ap);
  if (!ierr && full >= buf.size()) {
    buf.resize(full + 1);
    ierr = PetscVSNPrintf(buf.data(), buf.size(), format, &full, again);
  }
  va_end(again);
  if (!ierr) g_text += buf.data();
  return ierr;
}

bool IsHelpWord(const char* a) {
  return !std::strcmp(a, "-help") || !std::strcmp(a, "--help") || !std::strcmp(a, "-h");
}

bool IsCommand(const char* a) {
  for (const char* c : {"generate", "train", "evaluate", "bsde", "diagnose", "discover"})
    if (!std::strcmp(a, c)) return true;
  return false;
}

struct Option {
  std::string name, value, fallback, text;
  bool parsed = false;
};

struct Block {
  std::string title;
  std::vector<std::string> lines;  // as printed (option lines and their continuations)
  bool udeflow = false;
};

// One option line of a udeflow block: "  -name <now V : formerly D>: text ()" and the
// variants PETSc prints for reals ("<V : D>: text"), booleans (": <V : D> text") and lists
// ("<V>: text").
Option ParseOption(const std::string& line) {
  static const std::regex forms[] = {
      std::regex(R"(^  -(\S+) <now (.*?) : formerly (.*?)>: (.*) \(\)$)"),
      std::regex(R"(^  -(\S+): <(.*?) : (.*?)> (.*) \(\)$)"),
      std::regex(R"(^  -(\S+) <(.*?) : (.*?)>: (.*) \(\)$)"),
  };
  static const std::regex list(R"(^  -(\S+) <(.*?)>: (.*) \(\)$)");
  Option o;
  std::smatch m;
  for (const std::regex& r : forms)
    if (std::regex_match(line, m, r)) {
      o = {m[1], m[2], m[3], m[4], true};
      return o;
    }
  if (std::regex_match(line, m, list)) o = {m[1], m[2], m[2], m[3], true};
  return o;
}

// Splits the captured text into the blocks PetscOptionsBegin printed (a dashed line, then
// the title); blocks with the same title are merged, each option listed once.
std::vector<Block> SplitBlocks(const std::string& text) {
  std::vector<Block> blocks;
  const std::string dashes(40, '-');
  std::vector<std::string> lines;
  for (size_t a = 0, b; a < text.size(); a = b + 1) {
    b = text.find('\n', a);
    if (b == std::string::npos) b = text.size();
    lines.push_back(text.substr(a, b - a));
  }
  Block* cur = nullptr;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] == dashes) {
      if (i + 1 >= lines.size() || lines[i + 1] == dashes) continue;
      std::string title = lines[++i];
      cur = nullptr;
      for (Block& b : blocks)
        if (b.title == title) cur = &b;
      if (!cur) cur = &blocks.emplace_back(Block{title, {}, false});
      continue;
    }
    if (!cur) continue;  // the program's usage text printed before the first block
    bool seen = false;
    for (const std::string& l : cur->lines) seen = seen || l == lines[i];
    if (!seen) cur->lines.push_back(lines[i]);
  }
  for (Block& b : blocks) {
    int options = 0, ours = 0;
    for (const std::string& l : b.lines)
      if (l.rfind("  -", 0) == 0) {
        ++options;
        ours += l.size() >= 3 && l.compare(l.size() - 3, 3, " ()") == 0;
      }
    b.udeflow = options > 0 && ours == options;
  }
  return blocks;
}

void PrintUdeflowBlock(const Block& b) {
  std::string title = b.title;
  if (!title.empty() && title.back() == ':') title.pop_back();
  std::printf("\n%s:\n", title.c_str());
  for (const std::string& l : b.lines) {
    const Option o = ParseOption(l);
    if (!o.parsed) {
      std::printf("%s\n", l.c_str());
      continue;
    }
    std::string head = "  -" + o.name + " " + (o.value.empty() ? "\"\"" : o.value);
    if (o.fallback != o.value)
      head += " [default " + (o.fallback.empty() ? std::string("\"\"") : o.fallback) + "]";
    const int pad = head.size() < 46 ? 46 - (int)head.size() : 1;
    std::printf("%s%*s%s\n", head.c_str(), pad, "", o.text.c_str());
  }
}

void PrintListing(const std::string& command) {
  const std::vector<Block> blocks = SplitBlocks(g_text);
  int petsc = 0;
  for (const Block& b : blocks)
    for (const std::string& l : b.lines) petsc += !b.udeflow && l.rfind("  -", 0) == 0;
  if (command != "help" && g_level != Level::kPetsc) {
    std::printf(
        "udeflow %s: the options it reads, by object, each with the value in effect (case file\n"
        "and command line applied) and, where that differs, [default ...]. Nothing is run.\n",
        command.c_str());
    for (const Block& b : blocks)
      if (b.udeflow) PrintUdeflowBlock(b);
  }
  if (g_level == Level::kPetsc || g_level == Level::kAll) {
    for (const Block& b : blocks)
      if (!b.udeflow) {
        std::printf("----------------------------------------\n%s\n", b.title.c_str());
        for (const std::string& l : b.lines) std::printf("%s\n", l.c_str());
      }
  } else if (command != "help") {
    std::printf(
        "\n%d PETSc options (time stepping -ts_*, optimization -tao_*, solvers, viewers, "
        "start-up) are not shown: -help petsc lists them, -help all lists both.\n",
        petsc);
  }
  std::fflush(stdout);
}

}  // namespace

void HelpPrepare(int* argc, char** argv, std::string* command) {
  static char kHelpOption[] = "-help";
  int& n = *argc;
  if (command->empty() && n > 1 && IsHelpWord(argv[1])) {  // udeflow --help
    *command = "help";
    for (int i = 1; i < n - 1; ++i) argv[i] = argv[i + 1];
    argv[--n] = nullptr;
  }
  if (*command == "help" && n > 1 && IsCommand(argv[1])) {  // udeflow help train ...
    *command = argv[1];
    argv[1] = kHelpOption;
  }
  for (int i = 1; i < n; ++i) {
    if (!IsHelpWord(argv[i])) continue;
    argv[i] = kHelpOption;
    g_level = Level::kUdeflow;
    const bool petsc = i + 1 < n && !std::strcmp(argv[i + 1], "petsc");
    const bool all = i + 1 < n && !std::strcmp(argv[i + 1], "all");
    if (!petsc && !all) continue;
    g_level = petsc ? Level::kPetsc : Level::kAll;
    for (int j = i + 1; j < n - 1; ++j) argv[j] = argv[j + 1];  // PETSc's -help takes no word
    argv[--n] = nullptr;
  }
  if (g_level != Level::kNone) {
    g_default_vfprintf = PetscVFPrintf;
    PetscVFPrintf = CaptureOutput;
  }
}

PetscErrorCode HelpFinish(const std::string& command) {
  PetscFunctionBeginUser;
  if (g_level == Level::kNone) PetscFunctionReturn(0);
  PetscMPIInt rank;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscVFPrintf = g_default_vfprintf;
  if (rank == 0) PrintListing(command);
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::app
