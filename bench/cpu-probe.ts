// Loaded with --import into each server the compare bench starts: answers the parent's "cpu"
// message with this process's own CPU time, so CPU per request is the server's, not the bench's.
process.on("message", (m) => {
  if (m === "cpu") process.send?.({ cpu: process.cpuUsage() });
});
// The IPC channel must not keep a server alive that would otherwise exit.
process.channel?.unref();
