#include "udeflow/workflow/case.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <vector>

#include "udeflow/core/options.hpp"
#include "udeflow/core/provenance.hpp"
#include "udeflow/io/catalyst.hpp"

namespace udeflow::workflow {
namespace {

// The words of a command line as ProvenanceRecordCommandLine quoted them (POSIX shell
// quoting: '...' literal, '\'' an embedded quote).
std::vector<std::string> ShellWords(const std::string& line) {
  std::vector<std::string> words;
  std::string w;
  bool in_word = false, quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '\'')
        quoted = false;
      else
        w += c;
    } else if (c == '\'') {
      quoted = in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      w += line[++i];
      in_word = true;
    } else if (c == ' ') {
      if (in_word) words.push_back(w);
      w.clear();
      in_word = false;
    } else {
      w += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(w);
  return words;
}

std::string Stem(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  const size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base;
}

}  // namespace

std::string CaseName() {
  const std::vector<std::string> words = ShellWords(RunInfo().command);
  for (size_t i = 1; i + 1 < words.size(); ++i)
    if (words[i] == "-options_file") return Stem(words[i + 1]);
  // No case file: the physics (BSDE: the equation) named on the command line, else the
  // command's default one.
  const std::string command = words.size() > 1 ? words[1] : "";
  const bool bsde = command == "bsde";
  char type[256] = "";
  PetscBool set = PETSC_FALSE;
  if (PetscOptionsGetString(nullptr, nullptr, bsde ? "-bsde_equation" : "-physics", type,
                            sizeof(type), &set) == 0 &&
      set && type[0])
    return type;
  if (bsde) return "hjb";
  if (command == "diagnose") return "advection";
  if (command == "discover") return "lotka_volterra";
  return "burgers";
}

std::string DefaultOutputDir() {
  return "results/" + CaseName();
}

PetscErrorCode SetDefaultOutputDir() {
  PetscFunctionBeginUser;
  PetscBool set = PETSC_FALSE;
  PetscCall(PetscOptionsHasName(nullptr, nullptr, "-output_dir", &set));
  if (!set) PetscCall(PetscOptionsSetValue(nullptr, "-output_dir", DefaultOutputDir().c_str()));
  PetscFunctionReturn(0);
}

PetscErrorCode MakeDirectory(MPI_Comm comm, const std::string& dir, const char* what) {
  PetscFunctionBeginUser;
  int rank, ok = 1;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0 && !dir.empty()) {
    std::string partial;
    for (size_t i = 0; i <= dir.size(); ++i) {
      if (i == dir.size() || dir[i] == '/') {
        partial = dir.substr(0, i);
        if (!partial.empty() && mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) ok = 0;
      }
    }
    struct stat st;
    ok = ok && stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_OPEN, "%s: cannot create directory '%s'", what, dir.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode CasePathsFromOptions(MPI_Comm comm, CasePaths* p) {
  PetscFunctionBeginUser;
  if (p->output_dir.empty()) p->output_dir = DefaultOutputDir();
  PetscOptionsBegin(comm, nullptr, "Case files", "case");
  PetscCall(UdeOptionsString("-output_dir", "Directory for all outputs of the case", &p->output_dir,
                             nullptr));
  p->dataset = p->output_dir + "/dataset.h5";
  p->model = p->output_dir + "/model.h5";
  p->checkpoint = p->output_dir + "/train_state.h5";
  PetscCall(UdeOptionsString("-dataset", "Trajectory dataset (HDF5)", &p->dataset, nullptr));
  PetscCall(UdeOptionsString("-model", "Trained parameters (HDF5)", &p->model, nullptr));
  PetscCall(UdeOptionsString("-train_checkpoint", "Training state written during training (HDF5)",
                             &p->checkpoint, nullptr));
  PetscOptionsEnd();
  std::string catalyst;
  PetscCall(io::CatalystFromOptions(comm, &catalyst));
  PetscBool help = PETSC_FALSE;  // -help lists the options and creates nothing
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (!help) PetscCall(MakeDirectory(comm, p->output_dir, "option -output_dir"));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::workflow
