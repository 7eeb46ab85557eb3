package dev.arbiter; public class Main { public static void main(String[] a){} }
