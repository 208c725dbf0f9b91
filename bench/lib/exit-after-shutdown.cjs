// Preloaded (node -r) into a service started with --cpu-prof. Nest re-raises SIGTERM once its
// graceful shutdown is done, which would kill the process before V8 writes the profile: this
// listener turns that second signal into a normal exit.
let signals = 0;
process.on('SIGTERM', () => {
  signals += 1;
  if (signals > 1) process.exit(0);
});
