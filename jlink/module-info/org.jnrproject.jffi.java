// Generated with: jdeps --multi-release 25 --generate-module-info (JDK 25), from the jar's bytecode.
// jlink refuses automatic modules; moditect adds this descriptor to the jar in jlink/target/mods.
module org.jnrproject.jffi {
    requires java.logging;
    requires transitive jdk.unsupported;
    exports com.kenai.jffi;
    exports com.kenai.jffi.internal;
}
