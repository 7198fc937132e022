package io.courier.postgres;

import static io.courier.spi.GroupStats.known;
import static io.courier.spi.GroupStats.unknown;

import io.courier.TransportUnavailableException;
import io.courier.spi.Admin;
import io.courier.spi.GroupListing;
import io.courier.spi.GroupStats;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Admin} of {@code postgres://}: a group is its rows (and its member rows) in the messages table. Backlog and
 * dead letters are exact counts; a row not yet visible is either leased or delayed, which the table does not tell
 * apart, so in-flight and delayed are unknown, as are consumers.
 */
final class PgAdmin implements Admin {
    private final PgSettings settings;
    private final String table;

    PgAdmin(PgSettings settings, String table) {
        this.settings = settings;
        this.table = table;
    }

    @Override
    public GroupStats stats(String group, String deadLetterGroup) {
        return new GroupStats(group, known(count(group, "visible_at <= now()")), unknown(), unknown(),
                known(count(deadLetterGroup, "true")), unknown());
    }

    private long count(String group, String where) {
        try (Connection c = settings.connect("admin");
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM " + table + " WHERE grp = ? AND " + where)) {
            s.setString(1, group);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        } catch (SQLException e) {
            throw new TransportUnavailableException("postgres: cannot count group " + group + ": " + e.getMessage(), e);
        }
    }

    /**
     * The distinct {@code grp} of the messages table: a group exists here while it has a row (a message waiting,
     * leased, delayed or dead), so a group whose every message was acked has nothing left and is not listed.
     * Member rows carry their group's {@code grp}, so members are never entries of their own.
     */
    @Override
    public GroupListing groups(String prefix) {
        try (Connection c = settings.connect("admin");
             PreparedStatement s = c.prepareStatement("SELECT DISTINCT grp FROM " + table + " WHERE left(grp, ?) = ? ORDER BY grp")) {
            s.setInt(1, prefix.length());
            s.setString(2, prefix);
            List<String> groups = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) groups.add(r.getString(1));
            }
            return GroupListing.of(groups);
        } catch (SQLException e) {
            throw new TransportUnavailableException("postgres: cannot list the groups: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean deleteGroup(String group) {
        try (Connection c = settings.connect("admin");
             PreparedStatement s = c.prepareStatement("DELETE FROM " + table + " WHERE grp = ? OR grp = ?")) {
            s.setString(1, group);
            s.setString(2, group + ".dlq");
            return s.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new TransportUnavailableException("postgres: cannot delete group " + group + ": " + e.getMessage(), e);
        }
    }
}
