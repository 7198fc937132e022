package io.courier.runtime;

import io.courier.Message;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A fake {@link SubscriptionHost}: one {@link ScriptedReceiver}; sends are recorded and succeed. */
class ScriptedHost implements SubscriptionHost {
    final ScriptedReceiver receiver = new ScriptedReceiver();
    final List<Message> sent = new CopyOnWriteArrayList<>();

    @Override public String transportName() { return "scripted"; }

    @Override public Receiver openReceiver(ReceiverSpec spec) { return receiver; }

    @Override
    public CompletableFuture<Void> send(Message message) {
        sent.add(message);
        return CompletableFuture.completedFuture(null);
    }
}
