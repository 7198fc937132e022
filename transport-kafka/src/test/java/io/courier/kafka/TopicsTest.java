package io.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** C17 on Kafka's names: distinct destinations never share a topic or a consumer group, even after Kafka folds '.' into '_'. */
class TopicsTest {
    private final Topics topics = new Topics("courier.");

    @Test
    void c17_namesThatLookLikeInternalSuffixesOrDifferOnlyInPunctuationGetTheirOwnTopics() {
        List<String> groups = List.of("x", "x.retry", "x_retry", "x-retry", "g", "g.member.b", "g_member_b", "p.q", "p_q", "p-q",
                "a_2eb", "a.b", "x.dlq", "x_2e", "_", ".", "-");
        Map<String, String> owner = new HashMap<>();
        for (String g : groups) {
            Topics.Queue q = topics.group(g);
            claim(owner, q.topic(), "group " + g);
            claim(owner, q.retryTopic(), "retry of " + g);
            for (String m : List.of("b", "member.b", "b_", "retry")) claim(owner, topics.member(g, m).topic(), "member " + g + "/" + m);
        }
    }

    /** Kafka refuses a topic whose name equals another's with '.' and '_' swapped: compare folded names. */
    private static void claim(Map<String, String> owner, String topic, String who) {
        assertTrue(topic.length() <= Topics.MAX_NAME, topic);
        String folded = topic.replace('.', '_');
        String before = owner.putIfAbsent(folded, who);
        assertTrue(before == null, who + " and " + before + " share topic " + topic);
    }

    @Test
    void plainNamesAreUnchanged() {
        assertEquals("courier.orders-eu", topics.group("orders-eu").topic());
        assertEquals("courier.orders-eu.retry", topics.group("orders-eu").retryTopic());
        assertEquals("courier.orders.member.w1", topics.member("orders", "w1").topic());
        assertEquals("courier.p_2eq", topics.group("p.q").topic());
    }

    @Test
    void overlongNamesAreCutWithAHashAndStayDistinct() {
        String g = "g".repeat(100), m1 = "m.".repeat(49) + "a", m2 = "m.".repeat(49) + "b";
        String t1 = topics.member(g, m1).topic(), t2 = topics.member(g, m2).topic();
        assertEquals(Topics.MAX_NAME, t1.length());
        assertTrue(!t1.equals(t2), t1);
    }

    @Test
    void everyNameOfAGroupReadsBackIntoExactlyThatGroup() {
        for (String g : List.of("x", "x.retry", "x_retry", "x-retry", "g.member.b", "g_member_b", "p.q", "p_q", "a_2eb", "x.dlq", "_", ".", "-")) {
            Topics.Queue q = topics.group(g);
            for (String name : List.of(q.topic(), q.retryTopic(), q.consumerGroup(), topics.member(g, "w.1").topic(), topics.member(g, "m".repeat(300)).topic())) {
                assertEquals(new Topics.Owner.Group(g), topics.ownerOf(name), name);
            }
        }
    }

    @Test
    void aGroupCutByTheHashIsOpaqueAndNamesNotCouriersAreNone() {
        String topic = topics.group("g".repeat(300)).topic();
        assertEquals(new Topics.Owner.Hashed(topic), topics.ownerOf(topic));
        for (String other : List.of("orders", "courier.", "other.g", "courier.a_b", "courier.a_2", "courier.g.other", "courier.g.member.", "__consumer_offsets")) {
            assertEquals(null, topics.ownerOf(other), other);
        }
    }
}
