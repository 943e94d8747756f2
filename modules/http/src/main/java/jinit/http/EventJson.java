package jinit.http;

import com.fasterxml.jackson.core.JsonGenerator;
import jinit.api.Timestamps;
import jinit.api.JobState;
import jinit.supervisor.EventLog;

import java.io.IOException;

/** One line of GET /events: {"seq","at","id","state","pid","exit","restarts",…}. */
final class EventJson {
    private EventJson() {}

    static void write(JsonGenerator out, EventLog.Event event) throws IOException {
        out.writeStartObject();
        out.writeNumberField("seq", event.seq());
        out.writeStringField("at", Timestamps.iso(event.at()));
        out.writeStringField("id", event.id());
        out.writeStringField("state", event.state());
        if (event.job() != null) {
            out.writeFieldName("pid");
            switch (event.job().state()) {
                case JobState.Running(int pid) -> out.writeNumber(pid);
                case JobState.Backoff b -> out.writeNull();
                case JobState.Exited e -> out.writeNull();
            }
            out.writeFieldName("exit");
            switch (event.job().state()) {
                case JobState.Running r -> out.writeNull();
                case JobState.Backoff b -> {
                    JobJson.writeExit(out, b.lastExit(), event.job().watchdogExit());
                    out.writeStringField("nextStartAt", Timestamps.iso(b.nextStartAt()));
                }
                case JobState.Exited e -> {
                    JobJson.writeExit(out, e.exit(), event.job().watchdogExit());
                    if (e.gaveUp()) out.writeBooleanField("gaveUp", true);
                }
            }
            out.writeNumberField("restarts", event.job().restarts());
        }
        out.writeEndObject();
    }
}
