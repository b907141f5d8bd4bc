using VideoVisit.Server.Hosting;

// `--migrate` brings the store's schema up to date with these settings and exits (see README: Choosing the store).
if (args.Contains(ServerHost.MigrateArgument, StringComparer.Ordinal))
{
    return await ServerHost.MigrateAsync([.. args.Where(a => a != ServerHost.MigrateArgument)]);
}

await ServerHost.Build(args).RunAsync();
return 0;
