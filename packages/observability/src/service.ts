/**
 * Runs a process's `start`, which returns how to stop it: SIGTERM and SIGINT call that once, then
 * the process exits 0. A start-up failure prints its message (config and catalog errors are written
 * for people) and exits 1.
 */
export function runService(start: () => Promise<(() => Promise<void>) | void>): void {
  start().then(
    (stop) => {
      if (!stop) return;
      const onSignal = () => {
        stop().then(
          () => process.exit(0),
          (error) => {
            console.error(error);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    },
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
