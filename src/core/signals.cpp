#include "udeflow/core/signals.hpp"

#include <signal.h>

#include "udeflow/core/log.hpp"

namespace udeflow {
namespace {

volatile sig_atomic_t g_pending = 0;
int g_armed = 0;
struct sigaction g_old_term, g_old_usr1;

extern "C" void StopHandler(int sig) {
  if (g_pending) {  // second signal: give up the graceful stop
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_pending = sig;
}

void Install(struct sigaction* old_term, struct sigaction* old_usr1) {
  struct sigaction sa = {};
  sa.sa_handler = StopHandler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, old_term);
  sigaction(SIGUSR1, &sa, old_usr1);
}

}  // namespace

StopSignalGuard::StopSignalGuard() {
  if (g_armed++ > 0) return;
  Install(&g_old_term, &g_old_usr1);
}

void StopSignalReinstall() {
  if (g_armed > 0) Install(nullptr, nullptr);
}

StopSignalGuard::~StopSignalGuard() {
  if (--g_armed > 0) return;
  sigaction(SIGTERM, &g_old_term, nullptr);
  sigaction(SIGUSR1, &g_old_usr1, nullptr);
}

int StopSignalPending() {
  return g_pending;
}

void StopSignalClear() {
  g_pending = 0;
}

PetscErrorCode StopRequested(MPI_Comm comm, bool* stop, int* signal) {
  PetscFunctionBeginUser;
  int local = g_pending, any = 0;
  PetscCall(PetscLogEventBegin(LogEvents::allreduce, 0, 0, 0, 0));
  PetscCallMPI(MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, comm));
  PetscCall(PetscLogEventEnd(LogEvents::allreduce, 0, 0, 0, 0));
  *stop = any != 0;
  if (signal) *signal = any;
  PetscFunctionReturn(0);
}

const char* StopSignalName(int sig) {
  switch (sig) {
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
    default:
      return "signal";
  }
}

}  // namespace udeflow
