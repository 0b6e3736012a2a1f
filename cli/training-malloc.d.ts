// Types of cli/training-malloc.js (plain JavaScript so that cli/bin.js loads it before the CLI).
export declare const TRAINING_TUNABLES: string;
/** Commands that run training graphs, and so rerun with the training tunables. */
export declare const TRAINING_COMMANDS: ReadonlySet<string>;
/** Whether this process runs on glibc and has not set malloc tunables of its own. */
export declare function wantsTrainingMalloc(env: NodeJS.ProcessEnv, glibc: boolean): boolean;
/** The child's environment: the tunables added to any the parent has, and the guard against rerunning. */
export declare function trainingEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
/**
 * Runs this very command again with the training tunables and resolves to its exit code (128 + the
 * signal's number when a signal ended it). Null, or a promise of null when the child could not
 * start, means this process runs the command itself (not glibc, tunables set, or already the child).
 */
export declare function rerunWithTrainingMalloc(stoppable?: boolean): Promise<number | null> | null;
/**
 * rerunWithTrainingMalloc (stoppable for `train`), then process.exit with the child's code; returns
 * when this process runs the command.
 */
export declare function exitAfterTrainingRerun(command?: string): Promise<void>;
/** What a first SIGINT or SIGTERM is forwarded as to a stoppable child (`mtl train`): a request to stop cleanly. */
export declare const STOP_SIGNAL: NodeJS.Signals;
