/**
 * What every netmem program's command line shares ({@code ./netmem demo|bench|stress|soak}): picocli
 * parsing with one help style and the exit codes 0 / 1 / 2 ({@link dev.netmem.cli.Cli}), one-line log
 * records ({@link dev.netmem.cli.OneLineLogFormat}), child processes that never outlive the program
 * ({@link dev.netmem.cli.ChildProcesses}), and shell completion ({@link dev.netmem.cli.Completion}).
 */
package dev.netmem.cli;
