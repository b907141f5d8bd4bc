using VideoVisit.Server.Hosting;

await ServerHost.Build(args).RunAsync();
