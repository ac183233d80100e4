package io.weaseldb.commit;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.regex.Pattern;

/** Jackson's syntax errors as a client should read them: the position and the problem, not the parser's internals. */
public final class JsonSyntax {
    private JsonSyntax() { }

    /** Matches jackson's pointers to its own settings ("enable `JsonReadFeature.X` to allow"): not the client's business. */
    private static final Pattern JACKSON_SETTING = Pattern.compile(
            ":? *enable `[^`]*` to allow|,? *(?:from|as defined by) `[^`]*`");

    /**
     * "invalid JSON at line L, column C: problem", without jackson's source dump, start markers or the settings it
     * suggests enabling (which name its Java classes).
     */
    public static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        int cut = message.indexOf('\n');
        if (cut >= 0) {
            message = message.substring(0, cut);
        }
        cut = message.indexOf(" (start marker at");
        if (cut >= 0) {
            message = message.substring(0, cut);
        }
        message = JACKSON_SETTING.matcher(message).replaceAll("");
        JsonLocation at = e.getLocation();
        String position = at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return "invalid JSON" + position + ": " + message;
    }
}
