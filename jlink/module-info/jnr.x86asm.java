// Generated with: jdeps --multi-release 25 --generate-module-info (JDK 25), from the jar's bytecode.
// jlink refuses automatic modules; moditect adds this descriptor to the jar in jlink/target/mods.
module jnr.x86asm {
    exports com.kenai.jnr.x86asm;
    exports jnr.x86asm;
}
