package io.courier.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Admin#groups} is optional: an Admin that does not list says so with a typed error naming what to do instead. */
class AdminGroupsTest {

    @Test
    void anAdminThatCannotListThrowsATypedErrorSayingToGiveTheGroupNames() {
        Admin stats = new Admin() {
            @Override public GroupStats stats(String group, String deadLetterGroup) { throw new AssertionError(); }
            @Override public boolean deleteGroup(String group) { return false; }
        };
        GroupsNotListableException e = assertThrows(GroupsNotListableException.class, () -> stats.groups(""));
        assertTrue(e.getMessage().contains("give the group names"), e.getMessage());
    }

    @Test
    void aListingIsSortedAndHoldsEachNameOnce() {
        assertEquals(List.of("a.b", "a_b", "b"), GroupListing.of(List.of("b", "a_b", "a.b", "b")).groups());
    }
}
