using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SubsidyEngine.Api.Hosting;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Api.Tests;

/// <summary>The service with its database gone (nothing listens on the port): requests answer 503 with Retry-After.</summary>
public sealed class DatabaseDownFactory : WebApplicationFactory<Program>
{
    private readonly string _workflows = TestCluster.NewTempFolder("wf-down");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(Path.Combine(_workflows, "test"));
        File.WriteAllText(Path.Combine(_workflows, "test", "abc.v1.json"), TestDefinitions.Abc);
        builder.UseEnvironment("Production");
        builder.UseSetting("ConnectionStrings:Subsidy", $"Host=127.0.0.1;Port={TestCluster.FreePort()};Username=postgres;Database=gone;Timeout=2;Pooling=false");
        builder.UseSetting("Subsidy:WorkflowsDirectory", _workflows);
        builder.UseSetting("Subsidy:PublicBaseUrl", ApiFactory.PublicBaseUrl);
        builder.UseSetting("Subsidy:Letters:AgencyIban", ApiFactory.AgencyIban);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ILetterTemplates>(new FixedTemplates("letter-a", "notice-a"));
            services.AddSingleton(TestDefinitions.Rules());
            // Start without the start-up work (migrations need the database that is down).
            foreach (var hosted in services.Where(d => d.ServiceType == typeof(IHostedService)).ToList())
            {
                services.Remove(hosted);
            }
        });
    }
}

public sealed class ErrorMappingTests(DatabaseDownFactory down) : IClassFixture<DatabaseDownFactory>
{
    [Fact]
    public async Task An_unreachable_database_answers_503_with_retry_after_as_problem_details()
    {
        using var client = down.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "sek_" + new string('A', 43));
        var response = await client.GetAsync("/api/dossiers");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
        Assert.DoesNotContain("Npgsql", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(typeof(DossierNotFoundException), 404)]
    [InlineData(typeof(IdempotencyConflictException), 422)]
    [InlineData(typeof(TimeoutException), 503)]
    [InlineData(typeof(SocketException), 503)]
    [InlineData(typeof(InvalidOperationException), 500)]
    [InlineData(typeof(NpgsqlException), 503)] // a failover: "No suitable host was found" (no primary yet)
    [InlineData(typeof(AggregateException), 503)] // a failover: every host refused the connection
    [InlineData(typeof(PostgresException), 503)] // a failover: 25006, a pooled connection to the demoted primary
    public void Exceptions_map_to_their_status(Type type, int status)
    {
        Exception e = type.Name switch
        {
            nameof(DossierNotFoundException) => new DossierNotFoundException(Guid.NewGuid()),
            nameof(IdempotencyConflictException) => new IdempotencyConflictException("k"),
            nameof(TimeoutException) => new NpgsqlException("timeout", new TimeoutException()),
            nameof(SocketException) => new NpgsqlException("down", new SocketException((int)SocketError.ConnectionRefused)),
            nameof(NpgsqlException) => new NpgsqlException("No suitable host was found."),
            nameof(AggregateException) => new NpgsqlException("Unable to connect to a suitable host. Check inner exception for more details.", new AggregateException(
                new NpgsqlException("Failed to connect to 127.0.0.1:6101", new SocketException((int)SocketError.ConnectionRefused)),
                new NpgsqlException("Failed to connect to 127.0.0.1:6102", new SocketException((int)SocketError.ConnectionRefused)))),
            nameof(PostgresException) => new PostgresException("cannot execute INSERT in a read-only transaction", "ERROR", "ERROR", PostgresErrorCodes.ReadOnlySqlTransaction),
            _ => new InvalidOperationException("secret internals"),
        };
        var context = new DefaultHttpContext();
        var problem = ProblemExceptionHandler.Map(context, e);
        Assert.Equal(status, problem.Status);
        Assert.DoesNotContain("secret internals", problem.Detail ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(status == 503, context.Response.Headers.RetryAfter.Count == 1);
    }

    [Fact]
    public void A_version_conflict_is_412_when_the_caller_sent_if_match_and_409_otherwise()
    {
        var e = new ConcurrencyConflictException(Guid.NewGuid(), "version 1", "version 2");
        Assert.Equal(409, ProblemExceptionHandler.Map(new DefaultHttpContext(), e).Status);
        Assert.Equal(412, ProblemExceptionHandler.Map(new DefaultHttpContext(), new ConcurrencyConflictException(Guid.NewGuid(), "version 1", "version 2") { Precondition = true }).Status);
    }
}
