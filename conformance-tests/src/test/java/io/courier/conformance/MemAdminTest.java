package io.courier.conformance;

import org.junit.jupiter.api.Test;

/** {@link io.courier.spi.Admin#groups} of {@code mem://}: the same listing scenario as every broker's {@code *AdminTest}. */
class MemAdminTest {

    @Test
    void groupsListsTheGroupsByTheirCourierNamesLookAlikesApartAndNoMoreOnceDeleted() throws Exception {
        AdminScenario.listing("mem://");
    }
}
