/** The job model (specs, states, exit statuses, signals) and its JSON form. No behaviour, no natives. */
module jinit.api {
    requires com.fasterxml.jackson.jr.ob;
    requires com.fasterxml.jackson.core;

    exports jinit.api;
}
