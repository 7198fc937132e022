package io.courier.http.hub;

import io.courier.Destination;
import io.courier.Message;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.zip.CRC32C;

/**
 * One record of the journal and its byte form: {@code [length int][crc32c int][type byte][journal seq long]...}.
 * <ul>
 *   <li>{@code SEND}: an accepted message with its deliveries so far (0 when new; more when compaction rewrites it);</li>
 *   <li>{@code ACK}: the message is done (acked or dead-lettered);</li>
 *   <li>{@code ATTEMPTS}: the message has been delivered this many times (so that C15 survives a restart);</li>
 *   <li>{@code PUSH}: a push subscription (its definition as the message: destination = its group and member,
 *   payload = its JSON); live like a SEND until an ACK of its sequence number removes it, and compacted like one.</li>
 *   <li>{@code HEADER}: the first record of every segment; its seq field holds the length in bytes of the previous
 *   segment when this one was started (-1: none), so that replay can tell a segment cut short from a torn tail.</li>
 * </ul>
 * A record whose length or checksum does not match is unreadable: {@link SegmentScan} finds the records after it,
 * and {@link Journal} tells a torn tail (a crash mid-write) from damage.
 */
record JournalRecord(Type type, long seq, Message message, int deliveries) {

    /** What a record says. */
    enum Type { SEND, ACK, ATTEMPTS, PUSH, HEADER }

    static JournalRecord send(long seq, Message m, int deliveries) { return new JournalRecord(Type.SEND, seq, m, deliveries); }

    static JournalRecord push(long seq, Message definition) { return new JournalRecord(Type.PUSH, seq, definition, 0); }

    /** True for the records that are live until acked (a message or a push subscription). */
    boolean holdsMessage() { return type == Type.SEND || type == Type.PUSH; }

    static JournalRecord ack(long seq) { return new JournalRecord(Type.ACK, seq, null, 0); }

    static JournalRecord attempts(long seq, int deliveries) { return new JournalRecord(Type.ATTEMPTS, seq, null, deliveries); }

    /** The first record of a segment: {@code previousLength} bytes of the previous segment, -1 when there is none. */
    static JournalRecord header(long previousLength) { return new JournalRecord(Type.HEADER, previousLength, null, 0); }

    private static final byte[] NO_PAYLOAD = new byte[0];

    /** This record with its message's payload left out (one shared empty array): what the hub keeps of it on the heap. */
    JournalRecord withoutPayload() {
        if (message == null || message.payload().length == 0) return this;
        return new JournalRecord(type, seq, withoutPayload(message), deliveries);
    }

    /** {@code m} without its payload. */
    static Message withoutPayload(Message m) { return m.payload().length == 0 ? m : m.toBuilder().payload(NO_PAYLOAD).build(); }

    /** True when the record must be on disk before its caller hears back (a send: clause C1). */
    boolean mustForce() { return holdsMessage(); }

    /** The framed bytes of this record. */
    byte[] encode() {
        try {
            ByteArrayOutputStream body = new ByteArrayOutputStream(message == null ? 16 : 128 + message.payload().length);
            DataOutputStream out = new DataOutputStream(body);
            out.writeByte(type.ordinal());
            out.writeLong(seq);
            out.writeInt(deliveries);
            if (holdsMessage()) writeMessage(out, message);
            byte[] b = body.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(b);
            ByteArrayOutputStream framed = new ByteArrayOutputStream(b.length + 8);
            DataOutputStream f = new DataOutputStream(framed);
            f.writeInt(b.length);
            f.writeInt((int) crc.getValue());
            f.write(b);
            return framed.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot happen: writing to memory", e);
        }
    }

    /** Decodes a record body whose checksum has been verified. */
    static JournalRecord decode(byte[] body) throws IOException { return decode(body, 0, body.length); }

    /** Decodes the record body at {@code bytes[offset, offset + length)}. */
    static JournalRecord decode(byte[] bytes, int offset, int length) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes, offset, length));
        Type type = Type.values()[in.readUnsignedByte()];
        long seq = in.readLong();
        int deliveries = in.readInt();
        Message m = type == Type.SEND || type == Type.PUSH ? readMessage(in) : null;
        return new JournalRecord(type, seq, m, deliveries);
    }

    /**
     * Decodes a verified record body where it lies (a slice of a mapped segment), a SEND without its payload: what the
     * replay keeps of it. Its payload is skipped, never copied to the heap; other records are decoded whole.
     */
    static JournalRecord decodeSkippingPayload(ByteBuffer body) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.InputStream() {
            @Override public int read() { return body.hasRemaining() ? body.get() & 0xff : -1; }

            @Override public int read(byte[] b, int off, int len) {
                if (!body.hasRemaining()) return -1;
                int n = Math.min(len, body.remaining());
                body.get(b, off, n);
                return n;
            }
        });
        Type type = Type.values()[in.readUnsignedByte()];
        long seq = in.readLong();
        int deliveries = in.readInt();
        Message m = type == Type.SEND || type == Type.PUSH ? readMessage(in, type == Type.SEND ? body : null) : null;
        return new JournalRecord(type, seq, m, deliveries);
    }

    /** True when {@code body} matches the stored checksum. */
    static boolean checks(byte[] body, int storedCrc) { return checks(body, 0, body.length, storedCrc); }

    /** True when {@code bytes[offset, offset + length)} matches the stored checksum. */
    static boolean checks(byte[] bytes, int offset, int length, int storedCrc) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue() == storedCrc;
    }

    private static void writeMessage(DataOutputStream out, Message m) throws IOException {
        writeString(out, m.id());
        writeString(out, m.destination().toString());
        writeString(out, m.orderingKey());
        out.writeLong(m.notBefore() == null ? Long.MIN_VALUE : m.notBefore().toEpochMilli());
        out.writeInt(m.headers().size());
        for (var h : m.headers().entrySet()) {
            writeString(out, h.getKey());
            writeString(out, h.getValue());
        }
        out.writeInt(m.payload().length);
        out.write(m.payload());
    }

    private static Message readMessage(DataInputStream in) throws IOException { return readMessage(in, null); }

    /** {@code skipIn}: when not null, the buffer under {@code in}, whose payload bytes are skipped (the message gets none). */
    private static Message readMessage(DataInputStream in, ByteBuffer skipIn) throws IOException {
        String id = readString(in);
        Message.Builder b = Message.to(Destination.parse(readString(in))).id(id).orderingKey(readString(in));
        long notBefore = in.readLong();
        if (notBefore != Long.MIN_VALUE) b.notBefore(Instant.ofEpochMilli(notBefore));
        int headers = in.readInt();
        for (int i = 0; i < headers; i++) b.header(readString(in), readString(in));
        int length = in.readInt();
        if (skipIn != null) {
            if (length < 0 || length > skipIn.remaining()) throw new java.io.EOFException("payload of " + length + " bytes past the record's end");
            skipIn.position(skipIn.position() + length);
            return b.payload(NO_PAYLOAD).build();
        }
        byte[] payload = new byte[length];
        in.readFully(payload);
        return b.payload(payload).build();
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        if (s == null) { out.writeInt(-1); return; }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) return null;
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
