/** The JSON HTTP API on the JDK's server: routes translate between HTTP and JSON and supervisor calls, nothing more. */
module jinit.http {
    requires jdk.httpserver;
    requires jinit.api;
    requires jinit.supervisor;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.jr.ob;

    exports jinit.http;
}
