/**
 * What scripts/*.sh need from Maven to launch netmem programs: {@link dev.netmem.launcher.LaunchInfo}.
 * Run on the class path of the module being launched.
 */
module dev.netmem.launcher {
    exports dev.netmem.launcher;
}
