/** The job model (specs, states, exit statuses, signals) and its JSON form. No behaviour, no natives. */
module jinit.api {
    requires com.fasterxml.jackson.jr.ob;
    requires transitive com.fasterxml.jackson.core; // JobJson streams into its JsonGenerator

    exports jinit.api;
}
