// Generated with: jdeps --multi-release 25 --generate-module-info (JDK 25), from the jar's bytecode.
// jlink refuses automatic modules; moditect adds this descriptor to the jar in jlink/target/mods.
module jnr.a64asm {
    exports jnr.a64asm;
}
