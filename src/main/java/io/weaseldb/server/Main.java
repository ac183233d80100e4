package io.weaseldb.server;

public final class Main {
    private Main() { }

    public static void main(String[] args) throws Exception {
        System.out.println("weaseldb: not yet");
    }
}
