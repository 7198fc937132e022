package io.courier.spi.support;

/**
 * A reversible escape of Courier names ({@code [A-Za-z0-9._-]}) into broker name parts that hold no {@code .} and no
 * bare {@code _}: {@code .} becomes {@link #dot} and {@code _} becomes {@link #underscore}, both starting with
 * {@code _}, so that look-alike names ({@code p.q}, {@code p_q}, {@code p-q}) never share a broker name (C17), and so
 * that the operator tooling can read a group's name back from the broker's ({@code Admin.groups}).
 *
 * @param dot        what {@code .} becomes, e.g. {@code _2e}
 * @param underscore what {@code _} becomes, e.g. {@code _5f}
 */
public record NameEscape(String dot, String underscore) {
    public NameEscape {
        if (!dot.startsWith("_") || !underscore.startsWith("_") || dot.equals(underscore)) {
            throw new IllegalArgumentException("both escapes start with '_' and differ: " + dot + ", " + underscore);
        }
    }

    /** {@code name} escaped (unchanged when it holds neither {@code .} nor {@code _}). */
    public String escape(String name) {
        if (name.indexOf('.') < 0 && name.indexOf('_') < 0) return name;
        StringBuilder b = new StringBuilder(name.length() + 8);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') b.append(dot);
            else if (c == '_') b.append(underscore);
            else b.append(c);
        }
        return b.toString();
    }

    /**
     * The name that {@link #escape} turned into {@code escaped}; null when {@code escaped} is not such a name (empty,
     * a {@code _} not starting one of the escapes, a character a Courier name cannot hold).
     */
    public String unescape(String escaped) {
        if (escaped.isEmpty()) return null;
        StringBuilder b = new StringBuilder(escaped.length());
        for (int i = 0; i < escaped.length(); ) {
            char c = escaped.charAt(i);
            if (c == '_') {
                if (escaped.startsWith(dot, i)) { b.append('.'); i += dot.length(); }
                else if (escaped.startsWith(underscore, i)) { b.append('_'); i += underscore.length(); }
                else return null;
            } else if (c < 128 && Character.isLetterOrDigit(c) || c == '-') {
                b.append(c);
                i++;
            } else {
                return null;
            }
        }
        return b.toString();
    }
}
