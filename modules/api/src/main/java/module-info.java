/** The job model: specs, states, exit statuses, signals and ids, as plain data with their own rules. No library, no natives. */
module jinit.api {
    exports jinit.api;
}
