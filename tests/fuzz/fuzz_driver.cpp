// In-process fuzz driver: runs many mutated inputs through udeflow's readers without
// starting a process per input.  Reads a manifest (one case per line, tab-separated):
//   <id> \t options \t <command> \t <case file> \t <command-line options>
//   <id> \t dataset \t <case file> \t <dataset file>
//   <id> \t model   \t <case file> \t <model file>
// "options" runs the command as a dry pass (it reads and checks every option it reads,
// as with -help, and does no work) and, on success, looks for unused options.
// "dataset" opens a dataset and reads every trajectory through io::Dataset; "model"
// loads a model file into the case's physics.  For every case it prints
//   <id> \t start            (before the case: a crash is then the last started case)
//   <id> \t ok|error \t <the one-line error message>
// A case that fails without a message, or with a multi-line one, prints "bad_error".
#include <petscdm.h>
#include <petscsys.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../../src/app/commands.hpp"
#include "udeflow/core/aligned.hpp"
#include "udeflow/core/options_check.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/pde/physics.hpp"
#include "udeflow/train/model_file.hpp"

namespace {

using udeflow::OptionsCommand;

const std::vector<OptionsCommand> kCommands = {
    {"generate", udeflow::app::CommandGenerate}, {"train", udeflow::app::CommandTrain},
    {"evaluate", udeflow::app::CommandEvaluate}, {"bsde", udeflow::app::CommandBsde},
    {"diagnose", udeflow::app::CommandDiagnose}, {"discover", udeflow::app::CommandDiscover},
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

// A fresh options database: the case file, then the command-line options.
PetscErrorCode LoadOptions(const std::string& case_file, const std::string& args) {
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsClear(nullptr));
  if (!case_file.empty() && case_file != "-")
    PetscCall(udeflow::SessionInsertOptionsFile(case_file));
  std::vector<std::string> words = Split(args, ' ');
  std::vector<char*> argv(1, const_cast<char*>("udeflow"));
  for (std::string& w : words)
    if (!w.empty()) argv.push_back(w.data());
  udeflow::SessionRecordCommandLine(static_cast<int>(argv.size()), argv.data());
  PetscCall(PetscOptionsInsertString(nullptr, args.c_str()));
  PetscFunctionReturn(0);
}

PetscErrorCode RunOptionsCase(const std::string& command, const std::string& case_file,
                              const std::string& args, bool find_unused) {
  PetscFunctionBeginUser;
  PetscCall(LoadOptions(case_file, args));
  for (const OptionsCommand& c : kCommands) {
    if (command != c.name) continue;
    PetscCall(udeflow::OptionsDryPass(c.run, false));
    if (find_unused) {
      std::vector<udeflow::UnusedOption> unused;
      PetscCall(udeflow::OptionsFindUnused(command, kCommands, &unused));
    }
    PetscFunctionReturn(0);
  }
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "unknown command '%s'", command.c_str());
}

PetscErrorCode RunDatasetCase(const std::string& case_file, const std::string& path) {
  PetscFunctionBeginUser;
  PetscCall(LoadOptions(case_file, ""));
  std::unique_ptr<udeflow::pde::Physics> physics;
  PetscCall(udeflow::pde::PhysicsCreateFromOptions(PETSC_COMM_WORLD, nullptr, "burgers", &physics));
  PetscCall(physics->SetUp());
  udeflow::io::Dataset data;
  PetscCall(data.Open(PETSC_COMM_WORLD, path, "option -dataset"));
  PetscCall(data.CheckCompatible(*physics));
  Vec u;
  PetscCall(DMCreateGlobalVector(physics->Grid(), &u));
  for (size_t i = 0; i < data.Trajectories().size(); ++i) {
    std::vector<PetscReal> t;
    PetscCall(data.ReadTimes(i, &t));
    udeflow::pde::Scenario scenario;
    PetscCall(data.ReadScenario(i, &scenario));
    for (size_t k = 0; k < t.size(); ++k)
      PetscCall(data.ReadState(i, static_cast<PetscInt>(k), *physics, u));
  }
  PetscCall(VecDestroy(&u));
  PetscFunctionReturn(0);
}

PetscErrorCode RunModelCase(const std::string& case_file, const std::string& path) {
  PetscFunctionBeginUser;
  PetscCall(LoadOptions(case_file, ""));
  std::unique_ptr<udeflow::pde::Physics> physics;
  PetscCall(udeflow::pde::PhysicsCreateFromOptions(PETSC_COMM_WORLD, nullptr, "burgers", &physics));
  PetscCall(physics->SetUp());
  udeflow::AlignedVector<double> theta;
  PetscCall(udeflow::train::LoadModel(PETSC_COMM_WORLD, path, "option -model", *physics, &theta));
  PetscFunctionReturn(0);
}

void RunCase(const std::string& line, long index) {
  std::vector<std::string> f = Split(line, '\t');
  while (f.size() < 5) f.emplace_back();
  std::printf("%s\tstart\n", f[0].c_str());
  std::fflush(stdout);
  udeflow::SessionClearError();
  PetscErrorCode e = 0;
  if (f[1] == "options")
    e = RunOptionsCase(f[2], f[3], f[4], index % 16 == 0);
  else if (f[1] == "dataset")
    e = RunDatasetCase(f[2], f[3]);
  else if (f[1] == "model")
    e = RunModelCase(f[2], f[3]);
  std::string msg = e ? udeflow::OptionsExplainError(udeflow::SessionFirstErrorMessage()) : "";
  const char* outcome = !e                                                     ? "ok"
                        : (msg.empty() || msg.find('\n') != std::string::npos) ? "bad_error"
                                                                               : "error";
  for (char& c : msg)
    if (c == '\n' || c == '\t') c = ' ';
  std::printf("%s\t%s\t%s\n", f[0].c_str(), outcome, msg.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string manifest = argc > 1 ? argv[1] : "";
  int pargc = 1;
  PetscErrorCode ierr = udeflow::SessionInitialize(&pargc, &argv, nullptr);
  if (!ierr) {
    std::ifstream in(manifest);
    std::string line;
    long index = 0;
    while (std::getline(in, line))
      if (!line.empty()) RunCase(line, index++);
  }
  PetscOptionsClear(nullptr);
  return udeflow::SessionFinalize(ierr);
}
