/** The JSON HTTP API: routes translate between HTTP and supervisor calls, nothing more. */
module jinit.http {
    requires jdk.httpserver;
    requires jinit.supervisor;

    exports jinit.http;
}
