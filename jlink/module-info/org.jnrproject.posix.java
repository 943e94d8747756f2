// Generated with: jdeps --multi-release 25 --generate-module-info (JDK 25), from the jar's bytecode.
// jlink refuses automatic modules; moditect adds this descriptor to the jar in jlink/target/mods.
module org.jnrproject.posix {
    requires java.logging;
    requires java.management;
    requires jdk.unsupported;
    requires transitive org.jnrproject.constants;
    requires transitive org.jnrproject.ffi;
    exports jnr.posix;
    exports jnr.posix.util;
    exports jnr.posix.windows;
}
